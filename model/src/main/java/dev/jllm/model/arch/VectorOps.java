package dev.jllm.model.arch;

import dev.jllm.core.kernel.Exp;
import dev.jllm.core.kernel.Norms;
import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise and reduction loops of the forward pass (not the matrix products: those are WeightMatrix's).
 * Each has a scalar twin, used when {@link Simd#enabled()} is off ({@code -Djllm.vector=false}).
 */
public final class VectorOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private VectorOps() {}

    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int i = 0;
        float sum = 0;
        if (n >= S.length() && Simd.enabled()) {
            FloatVector acc = FloatVector.zero(S);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                acc = FloatVector.fromArray(S, a, aOff + i).fma(FloatVector.fromArray(S, b, bOff + i), acc);
            }
            sum = Simd.sum(acc);  // fixed order: see Simd.SWAP8
        }
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /** {@code y[yOff..] += alpha * x[xOff..]}. */
    public static void axpy(float alpha, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        if (n >= S.length() && Simd.enabled()) {
            FloatVector a = FloatVector.broadcast(S, alpha);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector.fromArray(S, x, xOff + i).fma(a, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] += alpha * x[xOff + i];
    }

    public static void scale(float[] x, int off, int n, float s) {
        for (int i = 0; i < n; i++) x[off + i] *= s;
    }

    /** {@code a[i] += b[i]}. */
    public static void add(float[] a, float[] b, int n) {
        int i = 0;
        if (Simd.enabled()) for (int bound = S.loopBound(n); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(a, i);
        }
        for (; i < n; i++) a[i] += b[i];
    }

    /** {@code x[i] = exp(x[i] - shift)} over {@code [off, off+n)}; returns the sum of the new values. */
    public static float expShiftedInPlace(float[] x, int off, int n, float shift) {
        int i = 0;
        float sum = 0;
        if (n >= S.length() && Simd.enabled()) {
            FloatVector sh = FloatVector.broadcast(S, shift);
            FloatVector acc = FloatVector.zero(S);
            for (int bound = S.loopBound(n); i < bound; i += S.length()) {
                FloatVector e = Exp.exp(FloatVector.fromArray(S, x, off + i).sub(sh));
                e.intoArray(x, off + i);
                acc = acc.add(e);
            }
            sum = Simd.sum(acc);  // fixed order: see Simd.SWAP8
        }
        for (; i < n; i++) {
            float e = Exp.exp(x[off + i] - shift);
            x[off + i] = e;
            sum += e;
        }
        return sum;
    }

    /** RMSNorm of one row as transformers computes it: {@link Norms#rmsNormRow}, shared with training. */
    public static void rmsNorm(float[] x, int xOff, float[] weight, float eps, float[] out, int outOff, int n) {
        Norms.rmsNormRow(x, xOff, weight, eps, out, outOff, n);
    }
}
