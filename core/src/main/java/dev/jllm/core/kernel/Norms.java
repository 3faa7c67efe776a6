package dev.jllm.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums of squares and RMSNorm rows, one implementation for inference ({@code model}), training ({@code train}) and
 * gradient clipping: the same order of additions everywhere, so a norm is the same number whichever of them computes it.
 */
public final class Norms {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Float lanes fill exactly two double vectors (16 and 8 lanes with AVX-512, 8 and 4 with AVX2). */
    private static final boolean WIDEN = F.length() == 2 * D.length();

    private Norms() {}

    /**
     * {@code Σ x[j]²} over {@code [from, to)} in double, with per-lane partial sums added in a fixed order (the same
     * in every JIT tier, so a run is reproducible).
     */
    public static double sumOfSquares(float[] x, int from, int to) {
        int i = from;
        double sum = 0;
        if (WIDEN && Simd.enabled()) {
            DoubleVector a0 = DoubleVector.zero(D), a1 = DoubleVector.zero(D);
            for (; i + L <= to; i += L) {
                FloatVector v = FloatVector.fromArray(F, x, i);
                DoubleVector lo = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
                DoubleVector hi = (DoubleVector) v.convertShape(VectorOperators.F2D, D, 1);
                a0 = a0.add(lo.mul(lo));
                a1 = a1.add(hi.mul(hi));
            }
            sum = Simd.sumInLaneOrder(a0.add(a1));
        }
        for (; i < to; i++) sum += (double) x[i] * x[i];
        return sum;
    }

    /**
     * One RMSNorm row as transformers computes it: {@code out = w · (x · s)} with {@code s = 1 / sqrt(mean(x²) + eps)}
     * (the sum of squares in double, s rounded to float once). Returns s, which training keeps for its backward pass.
     * {@code out} may be {@code x} itself.
     */
    public static float rmsNormRow(float[] x, int xOff, float[] w, double eps, float[] out, int outOff, int n) {
        float s = (float) (1.0 / Math.sqrt(sumOfSquares(x, xOff, xOff + n) / n + eps));
        int i = 0;
        if (Simd.enabled()) {
            FloatVector sv = FloatVector.broadcast(F, s);
            for (; i + L <= n; i += L) {
                FloatVector.fromArray(F, w, i).mul(FloatVector.fromArray(F, x, xOff + i).mul(sv)).intoArray(out, outOff + i);
            }
        }
        for (; i < n; i++) out[outOff + i] = w[i] * (x[xOff + i] * s);
        return s;
    }
}
