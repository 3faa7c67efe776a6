package dev.jllm.train.nn;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row operations of softmax, the loss and the activations on whole vectors: the exponentials are the costly
 * part (tens of millions per step at a 32k vocabulary). Sums of exponentials are added in double (each float vector
 * widened into two double vectors), so a 32000-term softmax denominator carries no float32 summation error.
 *
 * <p>The exponential is Cephes' {@code expf} (range reduction by ln 2 in two parts, a degree-5 polynomial, the
 * power of two built in the exponent bits), about 1 ulp, written with additions, multiplications and fused
 * multiply-adds only. Those give the same bits whether the JIT has compiled them to vector instructions yet or
 * not; the Vector API's own {@code EXP} does not (its intrinsic and its Java fallback round differently), which
 * made whole training runs differ in the last bits from one run to the next.
 */
public final class VectorMath {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int L = F.length();
    /** Float lanes fill exactly two double vectors (16 and 8 lanes with AVX-512, 8 and 4 with AVX2). */
    private static final boolean WIDEN = F.length() == 2 * D.length();

    private static final VectorSpecies<Integer> I = F.vectorShape().withLanes(int.class);
    private static final float LOG2E = 1.44269504088896341f;
    /** 1.5·2²³: adding it rounds a float below 2²² to an integer, in the low mantissa bits. */
    private static final float ROUND = 12582912f;
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    /** Below this exp underflows float32's normal range; the result is 0 (exactly, for the −∞ of masked scores). */
    private static final float MIN_ARG = -87.33654f;
    /** Above this 2ⁿ would leave the exponent range; inputs here never come close (softmax arguments are ≤ 0). */
    private static final float MAX_ARG = 88f;

    private VectorMath() {}

    /** {@code exp(x)} of every lane (0 below {@value #MIN_ARG}, NaN for NaN). */
    public static FloatVector exp(FloatVector x) {
        FloatVector xc = x.max(MIN_ARG).min(MAX_ARG);
        FloatVector n = xc.mul(LOG2E).add(ROUND).sub(ROUND);          // round(x / ln 2)
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), xc);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);              // x − n·ln 2, |r| ≤ ln2 / 2
        FloatVector p = r.fma(FloatVector.broadcast(F, 1.9875691500e-4f), FloatVector.broadcast(F, 1.3981999507e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 8.3334519073e-3f));
        p = p.fma(r, FloatVector.broadcast(F, 4.1665795894e-2f));
        p = p.fma(r, FloatVector.broadcast(F, 1.6666665459e-1f));
        p = p.fma(r, FloatVector.broadcast(F, 5.0000001201e-1f));
        p = p.fma(r.mul(r), r).add(1f);
        FloatVector pow2 = ((jdk.incubator.vector.IntVector) n.convertShape(VectorOperators.F2I, I, 0))
                .add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(pow2).blend(0f, x.lt(MIN_ARG));
    }

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
                FloatVector e = exp(FloatVector.fromArray(F, x, i).sub(s));
                if (store) e.intoArray(x, i);
                acc = acc.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0))
                        .add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 1));
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; i < to; i++) {
            float e = (float) Math.exp(x[i] - shift);
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
            exp(FloatVector.fromArray(F, x, i).sub(s)).intoArray(x, i);
        }
        for (; i < to; i++) x[i] = (float) Math.exp(x[i] - shift);
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
        return one.div(one.add(exp(x.neg())));
    }

    static VectorSpecies<Float> species() {
        return F;
    }
}
