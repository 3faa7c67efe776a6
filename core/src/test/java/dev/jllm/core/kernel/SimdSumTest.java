package dev.jllm.core.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The fixed-order lane sums the decode kernels end with (see {@link Simd#SWAP8}). */
class SimdSumTest {
    private static final int L = Simd.F.length();

    /** The butterfly in scalar code: lane i with lane i ^ L/2, then i ^ L/4, ..., lane 0 at the end. */
    private static float butterfly(float[] a) {
        float[] v = a.clone();
        for (int k = L / 2; k >= 1; k /= 2) {
            float[] next = new float[L];
            for (int i = 0; i < L; i++) next[i] = v[i] + v[i ^ k];
            v = next;
        }
        return v[0];
    }

    private static float[] random(SplittableRandom r) {
        float[] a = new float[L];
        // magnitudes spread over many binades, so a different order of the adds shows in the low bits
        for (int i = 0; i < L; i++) a[i] = (float) ((r.nextDouble() - 0.5) * Math.pow(2, r.nextInt(-20, 20)));
        return a;
    }

    @Test
    void sumAddsInTheButterflyOrder() {
        SplittableRandom r = new SplittableRandom(1);
        for (int t = 0; t < 1000; t++) {
            float[] a = random(r);
            assertEquals(Float.floatToRawIntBits(butterfly(a)), Float.floatToRawIntBits(Simd.sum(FloatVector.fromArray(Simd.F, a, 0))));
        }
    }

    @Test
    void fourAccumulatorFoldGivesEachRowItsSum() {
        SplittableRandom r = new SplittableRandom(2);
        for (int t = 0; t < 1000; t++) {
            float[][] rows = {random(r), random(r), random(r), random(r)};
            FloatVector a0 = FloatVector.fromArray(Simd.F, rows[0], 0), a1 = FloatVector.fromArray(Simd.F, rows[1], 0);
            FloatVector a2 = FloatVector.fromArray(Simd.F, rows[2], 0), a3 = FloatVector.fromArray(Simd.F, rows[3], 0);
            // the kernels' code, as written at the end of F32Weights' four-row kernel
            FloatVector b01 = a0.rearrange(Simd.PAIR_LO, a1).add(a0.rearrange(Simd.PAIR_HI, a1));
            FloatVector b23 = a2.rearrange(Simd.PAIR_LO, a3).add(a2.rearrange(Simd.PAIR_HI, a3));
            FloatVector q = b01.rearrange(Simd.QUAD_LO, b23).add(b01.rearrange(Simd.QUAD_HI, b23));
            if (Simd.QUARTER > 2) q = q.add(q.rearrange(Simd.SWAP2));
            if (Simd.QUARTER > 1) q = q.add(q.rearrange(Simd.SWAP1));
            for (int k = 0; k < 4; k++) {
                assertEquals(Float.floatToRawIntBits(butterfly(rows[k])), Float.floatToRawIntBits(q.lane(k * Simd.QUARTER)), "row " + k);
            }
        }
    }
}
