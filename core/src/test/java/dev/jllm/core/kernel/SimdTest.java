package dev.jllm.core.kernel;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class SimdTest {
    /** The pairwise tree Simd.sum promises, in scalar float arithmetic. */
    private static float tree(float[] lanes) {
        float[] v = lanes.clone();
        for (int half = v.length / 2; half >= 1; half /= 2) {
            for (int i = 0; i < half; i++) v[i] = v[i] + v[i + half];
        }
        return v[0];
    }

    @Test
    void sumAddsTheLanesAsAFixedPairwiseTree() {
        int lanes = Simd.F.length();
        SplittableRandom rnd = new SplittableRandom(3);
        float[] values = new float[lanes];
        for (int round = 0; round < 10_000; round++) {
            for (int i = 0; i < lanes; i++) values[i] = (float) ((rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(-3, 4)));
            float got = Simd.sum(FloatVector.fromArray(Simd.F, values, 0));
            assertEquals(Float.floatToIntBits(tree(values)), Float.floatToIntBits(got), "round " + round);
        }
    }

    @Test
    void theTreeOrderIsNotLaneOrder() {
        int lanes = Simd.F.length();
        if (lanes < 2) return;
        // lane order: (1e8 + 1) - 1e8 = 0 in float; the tree pairs lane 0 with lane L/2 first: (1e8 - 1e8) + 1 = 1
        float[] values = new float[lanes];
        values[0] = 1e8f;
        values[1] = 1f;
        values[lanes / 2] = -1e8f;
        float inOrder = 0;
        for (float v : values) inOrder += v;
        float got = Simd.sum(FloatVector.fromArray(Simd.F, values, 0));
        assertEquals(1f, got);
        assertNotEquals(inOrder, got);
    }
}
