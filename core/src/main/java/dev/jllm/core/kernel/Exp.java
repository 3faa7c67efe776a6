package dev.jllm.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@code exp} of float32 values from additions, multiplications and fused multiply-adds only, with a vector form
 * and a scalar twin that give the same bits lane for lane.
 *
 * <p>Why not the Vector API's {@code EXP}: HotSpot computes it with a native vector library once C2 has compiled
 * the loop and with {@code StrictMath.exp} per lane before that, and the two differ in the last bit. A training run
 * whose softmax changes its rounding when the JIT warms up is not reproducible — a resumed run, a second JVM or a
 * test after another test would not give the same losses — and the vector body and the scalar tail of a loop would
 * round differently too. Basic IEEE operations round the same way in the interpreter, C1, C2 and every lane.
 *
 * <p>Method (Cephes' {@code expf}): {@code x = n·ln2 + r} with {@code n} the nearest integer to {@code x/ln2}
 * (the 1.5·2²³ rounding trick, no float-to-int conversion), {@code ln2} split in two so {@code r} is exact,
 * a degree-7 polynomial for {@code e^r} on {@code |r| ≤ ln2/2}, then {@code 2^n} applied as two halves so both
 * factors stay normal and results down to the subnormals round once. Within 2 ulp of the exact value;
 * {@code x < −104} gives 0, {@code x > 88.73} gives +∞, NaN stays NaN.
 */
public final class Exp {
    private static final float LOG2E = 1.44269504088896341f;
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5·2²³: adding it rounds to an integer held in the low mantissa bits. */
    private static final float ROUNDER = 12582912f;
    private static final int ROUNDER_BITS = Float.floatToRawIntBits(ROUNDER);
    private static final float LOW = -104f;
    private static final float HIGH = 89f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private Exp() {}

    public static float exp(float x) {
        x = Math.min(Math.max(x, LOW), HIGH);
        float t = Math.fma(x, LOG2E, ROUNDER);
        float n = t - ROUNDER;
        int ni = Float.floatToRawIntBits(t) - ROUNDER_BITS;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(P0, r, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        p = Math.fma(p, r * r, r) + 1f;
        int h = ni >> 1;
        return p * Float.intBitsToFloat((h + 127) << 23) * Float.intBitsToFloat((ni - h + 127) << 23);
    }

    /** The lanes of {@link #exp(float)}, bit for bit. */
    public static FloatVector exp(FloatVector x) {
        var species = x.species();
        x = x.max(LOW).min(HIGH);
        FloatVector t = x.fma(FloatVector.broadcast(species, LOG2E), FloatVector.broadcast(species, ROUNDER));
        FloatVector n = t.sub(ROUNDER);
        IntVector ni = t.reinterpretAsInts().sub(ROUNDER_BITS);
        FloatVector r = n.fma(FloatVector.broadcast(species, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(species, -LN2_LO), r);
        FloatVector p = FloatVector.broadcast(species, P0).fma(r, FloatVector.broadcast(species, P1));
        p = p.fma(r, FloatVector.broadcast(species, P2));
        p = p.fma(r, FloatVector.broadcast(species, P3));
        p = p.fma(r, FloatVector.broadcast(species, P4));
        p = p.fma(r, FloatVector.broadcast(species, P5));
        p = p.fma(r.mul(r), r).add(1f);
        IntVector h = ni.lanewise(VectorOperators.ASHR, 1);
        FloatVector s1 = h.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = ni.sub(h).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }
}
