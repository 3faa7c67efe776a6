package dev.jllm.train.nn;

import dev.jllm.core.kernel.Exp;
import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row operations of softmax, the loss and the activations on whole vectors: the exponentials are the costly
 * part (tens of millions per step at a 32k vocabulary), computed a register at a time with core's {@link Exp}, whose
 * vector body, scalar tail and every JIT stage round alike (so a run is reproducible). Sums of exponentials are
 * added in double (each float vector widened into two double vectors), so a
 * 32000-term softmax denominator carries no float32 summation error.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Float lanes fill exactly two double vectors (16 and 8 lanes with AVX-512, 8 and 4 with AVX2). */
    private static final boolean WIDEN = F.length() == 2 * D.length();

    private VectorMath() {}

    /** The largest of {@code x[from, to)} (−∞ for an empty range). */
    public static float max(float[] x, int from, int to) {
        int i = from;
        float m = Float.NEGATIVE_INFINITY;
        if (to - from >= L) {
            FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            for (; i + L <= to; i += L) acc = acc.max(FloatVector.fromArray(F, x, i));
            m = acc.reduceLanes(VectorOperators.MAX);
        }
        for (; i < to; i++) m = Math.max(m, x[i]);
        return m;
    }

    /** The first j in {@code [from, to)} with {@code x[j] == value}, or −1 (never for NaN, as {@code ==} says). */
    public static int indexOf(float[] x, int from, int to, float value) {
        int i = from;
        if (Simd.enabled()) {
            FloatVector v = FloatVector.broadcast(F, value);
            for (; i + L <= to; i += L) {
                var eq = FloatVector.fromArray(F, x, i).compare(VectorOperators.EQ, v);
                if (eq.anyTrue()) return i + eq.firstTrue();
            }
        }
        for (; i < to; i++) if (x[i] == value) return i;
        return -1;
    }

    /**
     * {@code Σ exp(x[j] − shift)} over {@code [from, to)}, summed in double; with {@code store} each exponential
     * replaces its input.
     */
    public static double expSum(float[] x, int from, int to, float shift, boolean store) {
        int i = from;
        double sum = 0;
        if (WIDEN) {
            DoubleVector acc = DoubleVector.zero(D);
            FloatVector s = FloatVector.broadcast(F, shift);
            for (; i + L <= to; i += L) {
                FloatVector e = Exp.exp(FloatVector.fromArray(F, x, i).sub(s));
                if (store) e.intoArray(x, i);
                acc = acc.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0))
                        .add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 1));
            }
            sum = Simd.sumInLaneOrder(acc);
        }
        for (; i < to; i++) {
            float e = Exp.exp(x[i] - shift);
            if (store) x[i] = e;
            sum += e;
        }
        return sum;
    }

    /** {@code x[j] = exp(x[j] − shift)} over {@code [from, to)}. */
    public static void expInPlace(float[] x, int from, int to, float shift) {
        int i = from;
        FloatVector s = FloatVector.broadcast(F, shift);
        for (; i + L <= to; i += L) {
            Exp.exp(FloatVector.fromArray(F, x, i).sub(s)).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = Exp.exp(x[i] - shift);
    }

    /** {@code x[j] *= factor} over {@code [from, to)}. */
    public static void scale(float[] x, int from, int to, float factor) {
        int i = from;
        FloatVector f = FloatVector.broadcast(F, factor);
        for (; i + L <= to; i += L) FloatVector.fromArray(F, x, i).mul(f).intoArray(x, i);
        for (; i < to; i++) x[i] *= factor;
    }

    /** The gradient through a softmax row, in place: {@code dp[j] = p[j]·(dp[j] − D)·scale} over {@code [from, to)}. */
    public static void softmaxGradient(float[] dp, float[] p, int from, int to, float dot, float scale) {
        int i = from;
        FloatVector d = FloatVector.broadcast(F, dot), sc = FloatVector.broadcast(F, scale);
        for (; i + L <= to; i += L) {
            FloatVector.fromArray(F, p, i).mul(FloatVector.fromArray(F, dp, i).sub(d)).mul(sc).intoArray(dp, i);
        }
        for (; i < to; i++) dp[i] = p[i] * (dp[i] - dot) * scale;
    }

    /** {@code σ(x) = 1 / (1 + exp(−x))} of one vector. */
    static FloatVector sigmoid(FloatVector x) {
        FloatVector one = FloatVector.broadcast(F, 1f);
        return one.div(one.add(Exp.exp(x.neg())));
    }

    static VectorSpecies<Float> species() {
        return F;
    }
}
