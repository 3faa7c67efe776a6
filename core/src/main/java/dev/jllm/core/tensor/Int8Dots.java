package dev.jllm.core.tensor;

import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;

/**
 * Integer-domain decode kernels (the llama.cpp design): x is quantized once per matvec to int8 in 256-value blocks
 * ({@link Activation}, one float scale per block plus the integer sums of each 32-value sub-block), so a 4-bit
 * weight is multiplied with an int8 activation in 16-bit lanes and the per-sub-block scales are applied to integer
 * sums; only one int→float conversion is left per 256 weights instead of one per weight.
 *
 * <p>Error: besides float rounding, the result differs from the float kernel by the activation's quantization,
 * at most Σ_blocks (d_x/2)·Σ_j |w_j| where d_x = max|x_block|/127 (each x is off by at most half a step).
 * Products fit 16 bits (|q4·q8| ≤ 15·127) and the per-lane integer sums of a super-block fit 32 bits.
 */
final class Int8Dots {
    static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    static final VectorSpecies<Byte> B32 = ByteVector.SPECIES_256;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final int BLOCK = 256;

    private Int8Dots() {}

    /**
     * x quantized to int8 (held in shorts so the kernels load 16-bit lanes directly): x_j ≈ d[j/256]·q[j];
     * sums32[g] = Σ q over the g-th 32 values (for the weights' per-sub-block minimums).
     */
    record Activation(short[] q, float[] d, int[] sums32) {}

    static Activation quantize(float[] x, int xOff, int n) {
        int blocks = n / BLOCK;
        short[] q = new short[n];
        float[] d = new float[blocks];
        int[] sums = new int[n / 32];
        for (int b = 0; b < blocks; b++) {
            int base = xOff + b * BLOCK;
            FloatVector amax = FloatVector.zero(F);
            for (int j = 0; j < BLOCK; j += 16) amax = amax.max(FloatVector.fromArray(F, x, base + j).abs());
            float max = amax.reduceLanes(VectorOperators.MAX);
            if (max == 0f) continue;
            d[b] = max / 127f;
            float inv = 127f / max;
            for (int g = 0; g < BLOCK / 32; g++) {
                int s = 0;
                for (int j = 0; j < 32; j++) {
                    int v = Math.round(x[base + 32 * g + j] * inv);
                    v = Math.max(-127, Math.min(127, v));
                    q[b * BLOCK + 32 * g + j] = (short) v;
                    s += v;
                }
                sums[b * 8 + g] = s;
            }
        }
        return new Activation(q, d, sums);
    }

    /** Q4_K row · quantized x: Σ_b d_x·(d·Σ_sub sc·Σ q4·q8 − dmin·Σ_sub m·Σ q8). */
    static float q4_K(MemorySegment s, long base, int blocks, Activation a) {
        short[] xq = a.q;
        FloatVector acc = FloatVector.zero(F);
        float mins = 0;
        for (int b = 0; b < blocks; b++) {
            long o = base + 144L * b;
            float dx = a.d[b];
            float d = QuantDots.f16(s, o) * dx, dmin = QuantDots.f16(s, o + 2) * dx;
            int u0 = s.get(QuantDots.I32, o + 4), u1 = s.get(QuantDots.I32, o + 8), u2 = s.get(QuantDots.I32, o + 12);
            long sc = (u0 & 0x3f3f3f3fL) | ((long) ((u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4)) << 32);
            long mn = (u1 & 0x3f3f3f3fL) | ((long) (((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4)) << 32);
            int msum = 0;
            for (int j = 0; j < 8; j++) msum += (int) ((mn >>> (8 * j)) & 0xFF) * a.sums32[8 * b + j];
            mins += dmin * msum;
            IntVector isum = IntVector.zero(I);
            int xb = BLOCK * b;
            for (int p = 0; p < 4; p++, xb += 64) {
                ShortVector w = (ShortVector) ByteVector.fromMemorySegment(B32, s, o + 16 + 32L * p, QuantDots.LE)
                        .convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0);
                ShortVector plo = w.and((short) 15).mul(ShortVector.fromArray(S, xq, xb));
                ShortVector phi = w.lanewise(VectorOperators.LSHR, 4).mul(ShortVector.fromArray(S, xq, xb + 32));
                IntVector lo = ((IntVector) plo.convertShape(VectorOperators.S2I, I, 0)).add((IntVector) plo.convertShape(VectorOperators.S2I, I, 1));
                IntVector hi = ((IntVector) phi.convertShape(VectorOperators.S2I, I, 0)).add((IntVector) phi.convertShape(VectorOperators.S2I, I, 1));
                isum = isum.add(lo.mul((int) ((sc >>> (16 * p)) & 0xFF))).add(hi.mul((int) ((sc >>> (16 * p + 8)) & 0xFF)));
            }
            acc = ((FloatVector) isum.convert(VectorOperators.I2F, 0)).fma(FloatVector.broadcast(F, d), acc);
        }
        return Simd.sum(acc) - mins;  // fixed order: see Simd.SWAP8
    }
}
