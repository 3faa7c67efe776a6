package dev.jllm.core.tensor;

import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Fused dequantize-and-dot kernels for the GGML block formats, one row at a time: the quantized codes are widened
 * to float lanes in registers and multiplied with x; per-block constants (offsets, mins) are folded in through
 * precomputed sums of x over each block so the inner loops carry no subtraction.
 *
 * <p>The kernels are written for 16-float vectors (AVX-512); {@link #AVAILABLE} is false elsewhere and callers
 * use their scalar path.
 */
final class QuantDots {
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final boolean AVAILABLE = Simd.F.length() == 16;
    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort I16 = Layouts.I16;
    static final ValueLayout.OfInt I32 = Layouts.I32;

    private QuantDots() {}

    static boolean enabled() {
        return AVAILABLE && Simd.enabled();
    }

    /**
     * Rows per stream when a kernel reads {@code streams} rows of {@code [r0, r1)} at once: the range is cut into that
     * many contiguous parts and a pass takes row i of each part (r0 + i, r0 + part + i, ...), so every stream runs
     * on through consecutive rows, one long sequential read. Taking consecutive rows instead restarts all the streams
     * every pass a few KiB further on (a 2048-column Q8_0 row is 2176 bytes), and the hardware prefetcher, which
     * needs a few misses to pick up a stream, then leaves much of each row's latency exposed: with quarters, one
     * thread's Q8_0 matvec read +25-35% bytes per CPU-second out of cache (`KernelReport decode clock=cpu`). Rows
     * past {@code streams · part} (fewer than {@code streams}) are left to the caller.
     */
    static int part(int r0, int r1, int streams) {
        return (r1 - r0) / streams;
    }

    /** Sums of x over consecutive groups of {@code group} values (the per-block offset terms). */
    static float[] groupSums(float[] x, int xOff, int n, int group) {
        float[] s = new float[n / group];
        for (int g = 0; g < s.length; g++) {
            FloatVector acc = FloatVector.zero(F);
            int base = xOff + g * group;
            for (int j = 0; j < group; j += 16) acc = acc.add(FloatVector.fromArray(F, x, base + j));
            s[g] = Simd.sum(acc);
        }
        return s;
    }


    /**
     * Every IEEE half value as float32, indexed by its bits. The block scales are converted per block inside the
     * decode loops, and {@code Float.float16ToFloat} costs a move into a vector register, a vcvtph2ps (two uops) and
     * then a broadcast, all on the two ports that also do the vector arithmetic. A lookup costs two loads instead:
     * measured +20% Q8_0 rows/s in cache. Scales of real and random weights span few exponents, so the part of the
     * 256 KiB table in use stays in L1.
     */
    private static final float[] F16_TO_F32 = new float[1 << 16];

    static {
        for (int bits = 0; bits < F16_TO_F32.length; bits++) F16_TO_F32[bits] = Float.float16ToFloat((short) bits);
    }

    static float f16(MemorySegment s, long off) {
        return F16_TO_F32[s.get(I16, off) & 0xFFFF];
    }

    /** Q8_0 row: Σ_b d_b · Σ_j q_bj x_bj. Two accumulators alternate so consecutive blocks do not serialize. */
    static float q8_0(MemorySegment s, long base, int blocks, float[] x, int xOff) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o = base + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector t0 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo));
            t0 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o + 18, LE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 16), t0);
            acc0 = t0.fma(FloatVector.broadcast(F, f16(s, o)), acc0);
            FloatVector t1 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o + 36, LE).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + 32));
            t1 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o + 52, LE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 48), t1);
            acc1 = t1.fma(FloatVector.broadcast(F, f16(s, o + 34)), acc1);
        }
        if (b < blocks) {
            long o = base + 34L * b;
            int xo = xOff + 32 * b;
            FloatVector t0 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo));
            t0 = ((FloatVector) ByteVector.fromMemorySegment(B, s, o + 18, LE).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 16), t0);
            acc0 = t0.fma(FloatVector.broadcast(F, f16(s, o)), acc0);
        }
        FloatVector v = acc0.add(acc1);
        v = v.add(v.rearrange(Simd.SWAP8));
        v = v.add(v.rearrange(Simd.SWAP4));
        v = v.add(v.rearrange(Simd.SWAP2));
        return v.add(v.rearrange(Simd.SWAP1)).lane(0);  // fixed-order lane sum: see Simd.SWAP8
    }

    /**
     * Four Q8_0 rows ({@code base}, {@code base + stride}, ...), written to {@code y[yOff + k·yStride]} for k < 4.
     * Decode streams the weights from DRAM, and one row at a time left the weight stream latency-bound (measured
     * at half the bandwidth of an F32 stream): four interleaved row streams keep four times the cache misses in
     * flight, and each x vector load now serves four rows. Callers pass rows a quarter of their range apart (see
     * {@link #part}), not consecutive ones.
     */
    static void q8_0Rows4(MemorySegment s, long base, long stride, int blocks, float[] x, int xOff, float[] y, int yOff,
                          int yStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        long o1 = base + stride, o2 = o1 + stride, o3 = o2 + stride;
        for (int b = 0; b < blocks; b++) {
            long ob = 34L * b;
            int xo = xOff + 32 * b;
            FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + 16);
            a0 = q8Block(s, base + ob, x0, x1, a0);
            a1 = q8Block(s, o1 + ob, x0, x1, a1);
            a2 = q8Block(s, o2 + ob, x0, x1, a2);
            a3 = q8Block(s, o3 + ob, x0, x1, a3);
        }
        // fixed-order lane sums of the four rows (see Simd.PAIR_LO)
        FloatVector b01 = a0.rearrange(Simd.PAIR_LO, a1).add(a0.rearrange(Simd.PAIR_HI, a1));
        FloatVector b23 = a2.rearrange(Simd.PAIR_LO, a3).add(a2.rearrange(Simd.PAIR_HI, a3));
        FloatVector c = b01.rearrange(Simd.QUAD_LO, b23).add(b01.rearrange(Simd.QUAD_HI, b23));
        c = c.add(c.rearrange(Simd.SWAP2));
        c = c.add(c.rearrange(Simd.SWAP1));
        y[yOff] = c.lane(0);
        y[yOff + yStride] = c.lane(4);
        y[yOff + 2 * yStride] = c.lane(8);
        y[yOff + 3 * yStride] = c.lane(12);
    }

    /** acc + d · Σ_j q_j x_j for the Q8_0 block at {@code o} (x0, x1: its 32 activations). */
    private static FloatVector q8Block(MemorySegment s, long o, FloatVector x0, FloatVector x1, FloatVector acc) {
        FloatVector t = ((FloatVector) ByteVector.fromMemorySegment(B, s, o + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
        t = ((FloatVector) ByteVector.fromMemorySegment(B, s, o + 18, LE).convertShape(VectorOperators.B2F, F, 0)).fma(x1, t);
        return t.fma(FloatVector.broadcast(F, f16(s, o)), acc);
    }

    /** Q4_0 row: Σ_b d_b · (Σ_j q_bj x_bj − 8·Σ_j x_bj). */
    static float q4_0(MemorySegment s, long base, int blocks, float[] x, int xOff, float[] xsum) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        float offset = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o = base + 18L * b;
            int xo = xOff + 32 * b;
            float d0 = f16(s, o), d1 = f16(s, o + 18);
            ByteVector q = ByteVector.fromMemorySegment(B, s, o + 2, LE);
            FloatVector t = ((FloatVector) q.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo));
            t = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 16), t);
            acc0 = t.fma(FloatVector.broadcast(F, d0), acc0);
            ByteVector q1 = ByteVector.fromMemorySegment(B, s, o + 20, LE);
            FloatVector t1 = ((FloatVector) q1.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + 32));
            t1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 48), t1);
            acc1 = t1.fma(FloatVector.broadcast(F, d1), acc1);
            offset += d0 * xsum[b] + d1 * xsum[b + 1];
        }
        if (b < blocks) {
            long o = base + 18L * b;
            int xo = xOff + 32 * b;
            float d = f16(s, o);
            ByteVector q = ByteVector.fromMemorySegment(B, s, o + 2, LE);
            FloatVector t = ((FloatVector) q.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo));
            t = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 16), t);
            acc0 = t.fma(FloatVector.broadcast(F, d), acc0);
            offset += d * xsum[b];
        }
        FloatVector v = acc0.add(acc1);
        v = v.add(v.rearrange(Simd.SWAP8));
        v = v.add(v.rearrange(Simd.SWAP4));
        v = v.add(v.rearrange(Simd.SWAP2));
        return v.add(v.rearrange(Simd.SWAP1)).lane(0) - 8 * offset;  // fixed-order lane sum: see Simd.SWAP8
    }

    /** Four Q4_0 rows (as {@link #q8_0Rows4}): Σ_b d_b · (Σ_j q_bj x_bj − 8·Σ_j x_bj) each. */
    static void q4_0Rows4(MemorySegment s, long base, long stride, int blocks, float[] x, int xOff, float[] xsum,
                          float[] y, int yOff, int yStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        long o1 = base + stride, o2 = o1 + stride, o3 = o2 + stride;
        for (int b = 0; b < blocks; b++) {
            long ob = 18L * b;
            int xo = xOff + 32 * b;
            FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + 16);
            float d0 = f16(s, base + ob), d1 = f16(s, o1 + ob), d2 = f16(s, o2 + ob), d3 = f16(s, o3 + ob);
            a0 = nibbleBlock(s, base + ob + 2, d0, x0, x1, a0);
            a1 = nibbleBlock(s, o1 + ob + 2, d1, x0, x1, a1);
            a2 = nibbleBlock(s, o2 + ob + 2, d2, x0, x1, a2);
            a3 = nibbleBlock(s, o3 + ob + 2, d3, x0, x1, a3);
            float xs = xsum[b];
            m0 += d0 * xs;
            m1 += d1 * xs;
            m2 += d2 * xs;
            m3 += d3 * xs;
        }
        // fixed-order lane sums of the four rows (see Simd.PAIR_LO)
        FloatVector b01 = a0.rearrange(Simd.PAIR_LO, a1).add(a0.rearrange(Simd.PAIR_HI, a1));
        FloatVector b23 = a2.rearrange(Simd.PAIR_LO, a3).add(a2.rearrange(Simd.PAIR_HI, a3));
        FloatVector c = b01.rearrange(Simd.QUAD_LO, b23).add(b01.rearrange(Simd.QUAD_HI, b23));
        c = c.add(c.rearrange(Simd.SWAP2));
        c = c.add(c.rearrange(Simd.SWAP1));
        y[yOff] = c.lane(0) - 8 * m0;
        y[yOff + yStride] = c.lane(4) - 8 * m1;
        y[yOff + 2 * yStride] = c.lane(8) - 8 * m2;
        y[yOff + 3 * yStride] = c.lane(12) - 8 * m3;
    }

    /** Four Q4_1 rows (as {@link #q8_0Rows4}): Σ_b d_b · Σ_j q_bj x_bj + m_b · Σ_j x_bj each. */
    static void q4_1Rows4(MemorySegment s, long base, long stride, int blocks, float[] x, int xOff, float[] xsum,
                          float[] y, int yOff, int yStride) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        float m0 = 0, m1 = 0, m2 = 0, m3 = 0;
        long o1 = base + stride, o2 = o1 + stride, o3 = o2 + stride;
        for (int b = 0; b < blocks; b++) {
            long ob = 20L * b;
            int xo = xOff + 32 * b;
            FloatVector x0 = FloatVector.fromArray(F, x, xo), x1 = FloatVector.fromArray(F, x, xo + 16);
            a0 = nibbleBlock(s, base + ob + 4, f16(s, base + ob), x0, x1, a0);
            a1 = nibbleBlock(s, o1 + ob + 4, f16(s, o1 + ob), x0, x1, a1);
            a2 = nibbleBlock(s, o2 + ob + 4, f16(s, o2 + ob), x0, x1, a2);
            a3 = nibbleBlock(s, o3 + ob + 4, f16(s, o3 + ob), x0, x1, a3);
            float xs = xsum[b];
            m0 += f16(s, base + ob + 2) * xs;
            m1 += f16(s, o1 + ob + 2) * xs;
            m2 += f16(s, o2 + ob + 2) * xs;
            m3 += f16(s, o3 + ob + 2) * xs;
        }
        // fixed-order lane sums of the four rows (see Simd.PAIR_LO)
        FloatVector b01 = a0.rearrange(Simd.PAIR_LO, a1).add(a0.rearrange(Simd.PAIR_HI, a1));
        FloatVector b23 = a2.rearrange(Simd.PAIR_LO, a3).add(a2.rearrange(Simd.PAIR_HI, a3));
        FloatVector c = b01.rearrange(Simd.QUAD_LO, b23).add(b01.rearrange(Simd.QUAD_HI, b23));
        c = c.add(c.rearrange(Simd.SWAP2));
        c = c.add(c.rearrange(Simd.SWAP1));
        y[yOff] = c.lane(0) + m0;
        y[yOff + yStride] = c.lane(4) + m1;
        y[yOff + 2 * yStride] = c.lane(8) + m2;
        y[yOff + 3 * yStride] = c.lane(12) + m3;
    }

    /** acc + d · (Σ lo_j x0_j + Σ hi_j x1_j) for the 16 nibble-pair bytes at {@code q} (GGML's Q4_0/Q4_1 layout). */
    private static FloatVector nibbleBlock(MemorySegment s, long q, float d, FloatVector x0, FloatVector x1, FloatVector acc) {
        ByteVector v = ByteVector.fromMemorySegment(B, s, q, LE);
        FloatVector t = ((FloatVector) v.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).mul(x0);
        t = ((FloatVector) v.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).fma(x1, t);
        return t.fma(FloatVector.broadcast(F, d), acc);
    }

    /** Q4_1 row: Σ_b d_b · Σ_j q_bj x_bj + m_b · Σ_j x_bj. */
    static float q4_1(MemorySegment s, long base, int blocks, float[] x, int xOff, float[] xsum) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        float offset = 0;
        int b = 0;
        for (; b + 1 < blocks; b += 2) {
            long o = base + 20L * b;
            int xo = xOff + 32 * b;
            float d0 = f16(s, o), d1 = f16(s, o + 20);
            ByteVector q = ByteVector.fromMemorySegment(B, s, o + 4, LE);
            FloatVector t = ((FloatVector) q.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo));
            t = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 16), t);
            acc0 = t.fma(FloatVector.broadcast(F, d0), acc0);
            ByteVector q1 = ByteVector.fromMemorySegment(B, s, o + 24, LE);
            FloatVector t1 = ((FloatVector) q1.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo + 32));
            t1 = ((FloatVector) q1.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 48), t1);
            acc1 = t1.fma(FloatVector.broadcast(F, d1), acc1);
            offset += f16(s, o + 2) * xsum[b] + f16(s, o + 22) * xsum[b + 1];
        }
        if (b < blocks) {
            long o = base + 20L * b;
            int xo = xOff + 32 * b;
            ByteVector q = ByteVector.fromMemorySegment(B, s, o + 4, LE);
            FloatVector t = ((FloatVector) q.and((byte) 0xF).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xo));
            t = ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xo + 16), t);
            acc0 = t.fma(FloatVector.broadcast(F, f16(s, o)), acc0);
            offset += f16(s, o + 2) * xsum[b];
        }
        FloatVector v = acc0.add(acc1);
        v = v.add(v.rearrange(Simd.SWAP8));
        v = v.add(v.rearrange(Simd.SWAP4));
        v = v.add(v.rearrange(Simd.SWAP2));
        return v.add(v.rearrange(Simd.SWAP1)).lane(0) + offset;  // fixed-order lane sum: see Simd.SWAP8
    }

    /**
     * Q4_K activations in nibble order, for {@link #q4_KPair}: per super-block, per 64-byte half c and per nibble
     * position j (bits 4j..4j+3 of an int lane), the 16 activations that the 16 int lanes' nibbles j multiply. Lane i
     * of half c reads bytes 4i..4i+3 of its 64 code bytes: group g = 2c + i/8 (32 bytes each), byte
     * l = 4(i mod 8) + j/2, whose low nibble is weight 64g + l and high nibble weight 64g + 32 + l. Made once per
     * matvec, so its cost spreads over all rows.
     */
    static float[] nibbleOrder(float[] x, int xOff, int n) {
        float[] p = new float[n];
        for (int b = 0; b < n / 256; b++) {
            for (int c = 0; c < 2; c++) {
                for (int j = 0; j < 8; j++) {
                    // lanes i < 8: weights 64(2c) + 32(j&1) + j/2 + 4i; lanes i >= 8: the same 64 further on
                    int first = xOff + 256 * b + 128 * c + 32 * (j & 1) + (j >>> 1);
                    FloatVector.fromArray(F, x, first, NIBBLE_LANES, 0).intoArray(p, 256 * b + 128 * c + 16 * j);
                }
            }
        }
        return p;
    }

    private static final int[] NIBBLE_LANES = {0, 4, 8, 12, 16, 20, 24, 28, 64, 68, 72, 76, 80, 84, 88, 92};

    /** Per block: the eight sub-block sums of x, twice (lines up with {@link #scalesAndMins}). */
    static float[] xsumTwice(float[] xsum32) {
        float[] wide = new float[2 * xsum32.length];
        for (int b = 0; b < xsum32.length / 8; b++) {
            System.arraycopy(xsum32, 8 * b, wide, 16 * b, 8);
            System.arraycopy(xsum32, 8 * b, wide, 16 * b + 8, 8);
        }
        return wide;
    }

    private static final IntVector ONE_BITS = IntVector.broadcast(I, 0x3F800000);
    private static final IntVector NOT_MANTISSA_TOP = IntVector.broadcast(I, ~0x00780000);
    // Per half c: the sub-block of the even (low-nibble) and odd (high-nibble) positions, lanes 0-7 and 8-15.
    private static final VectorShuffle<Float> EVEN0 = VectorShuffle.fromValues(F, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2);
    private static final VectorShuffle<Float> ODD0 = VectorShuffle.fromValues(F, 1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3);
    private static final VectorShuffle<Float> EVEN1 = VectorShuffle.fromValues(F, 4, 4, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6);
    private static final VectorShuffle<Float> ODD1 = VectorShuffle.fromValues(F, 5, 5, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7);

    // 1 + q/16 for a nibble q: a shift brings it to bits 19..22, the top four mantissa bits, and a bitwise blend
    // puts it under the exponent of 1.0 (q.lanewise(LSHL or LSHR, n).lanewise(BITWISE_BLEND, ONE_BITS,
    // NOT_MANTISSA_TOP)). The kernel it replaced widened bytes to ints, masked and converted each nibble to float:
    // one instruction more per 16 weights, on the ports the multiply-adds need. The 1 is taken out again through
    // the sub-block sums of x: Σ q·x = 16·Σ (1 + q/16)·x − 16·Σ x.

    /**
     * Two Q4_K rows ({@code base0}, {@code base1}: callers pass rows half their range apart, see {@link #part})
     * against x in {@link #nibbleOrder}; writes their dots to out[0] and out[1]. The 128 code bytes of a block are
     * read as two 64-byte int vectors, and each of the eight nibble positions of an int is one vector of 16 weights
     * (see the comment above). Even positions belong to the low sub-block of each 32-byte group and odd ones to the
     * high, so each half keeps two sums that take their sub-block scales per lane at the end. The scale, min and "1"
     * terms come from {@link #scalesAndMins} against {@code xsumTwice} (see {@link #xsumTwice}).
     *
     * <p>The nibble expressions are written out: even a one-line helper for them is refused by C2's inlining node
     * budget in this kernel (it then stays a call that boxes every vector, 15x slower); written out twice, once per
     * half, they compiled no faster than in the loop over halves. Two rows share the x loads and give two weight
     * streams; measured in cache (one thread, 256x2048) 20-22 G weights/s against 16.5 for the widen-mask-convert
     * kernel it replaced.
     */
    static void q4_KPair(MemorySegment s, long base0, long base1, int blocks, float[] xp, float[] xsumTwice, float[] out) {
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F);
        FloatVector mins0 = FloatVector.zero(F), mins1 = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long o0 = base0 + 144L * b, o1 = base1 + 144L * b;
            FloatVector xs = FloatVector.fromArray(F, xsumTwice, 16 * b);
            FloatVector v0 = scalesAndMins(s, o0), v1 = scalesAndMins(s, o1);
            mins0 = v0.fma(xs, mins0);
            mins1 = v1.fma(xs, mins1);
            for (int c = 0; c < 2; c++) {
                int xb = 256 * b + 128 * c;
                IntVector p = IntVector.fromMemorySegment(I, s, o0 + 16 + 64 * c, LE), r = IntVector.fromMemorySegment(I, s, o1 + 16 + 64 * c, LE);
                FloatVector x0 = FloatVector.fromArray(F, xp, xb + 0);
                FloatVector e0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, 19).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).mul(x0);
                FloatVector e1 = ((FloatVector) r.lanewise(VectorOperators.LSHL, 19).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).mul(x0);
                FloatVector x1 = FloatVector.fromArray(F, xp, xb + 16);
                FloatVector d0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, 15).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).mul(x1);
                FloatVector d1 = ((FloatVector) r.lanewise(VectorOperators.LSHL, 15).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).mul(x1);
                FloatVector x2 = FloatVector.fromArray(F, xp, xb + 32);
                e0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, 11).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x2, e0);
                e1 = ((FloatVector) r.lanewise(VectorOperators.LSHL, 11).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x2, e1);
                FloatVector x3 = FloatVector.fromArray(F, xp, xb + 48);
                d0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, 7).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x3, d0);
                d1 = ((FloatVector) r.lanewise(VectorOperators.LSHL, 7).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x3, d1);
                FloatVector x4 = FloatVector.fromArray(F, xp, xb + 64);
                e0 = ((FloatVector) p.lanewise(VectorOperators.LSHL, 3).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x4, e0);
                e1 = ((FloatVector) r.lanewise(VectorOperators.LSHL, 3).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x4, e1);
                FloatVector x5 = FloatVector.fromArray(F, xp, xb + 80);
                d0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 1).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x5, d0);
                d1 = ((FloatVector) r.lanewise(VectorOperators.LSHR, 1).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x5, d1);
                FloatVector x6 = FloatVector.fromArray(F, xp, xb + 96);
                e0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 5).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x6, e0);
                e1 = ((FloatVector) r.lanewise(VectorOperators.LSHR, 5).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x6, e1);
                FloatVector x7 = FloatVector.fromArray(F, xp, xb + 112);
                d0 = ((FloatVector) p.lanewise(VectorOperators.LSHR, 9).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x7, d0);
                d1 = ((FloatVector) r.lanewise(VectorOperators.LSHR, 9).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(x7, d1);
                VectorShuffle<Float> even = c == 0 ? EVEN0 : EVEN1, odd = c == 0 ? ODD0 : ODD1;
                a0 = e0.fma(v0.rearrange(even), a0);
                a0 = d0.fma(v0.rearrange(odd), a0);
                a1 = e1.fma(v1.rearrange(even), a1);
                a1 = d1.fma(v1.rearrange(odd), a1);
            }
        }
        // fixed-order lane sums of both rows (see Simd.PAIR_LO): row 0 in the low half, row 1 in the high half
        FloatVector r0 = a0.sub(mins0), r1 = a1.sub(mins1);
        FloatVector b = r0.rearrange(Simd.PAIR_LO, r1).add(r0.rearrange(Simd.PAIR_HI, r1));
        b = b.add(b.rearrange(Simd.SWAP4));
        b = b.add(b.rearrange(Simd.SWAP2));
        b = b.add(b.rearrange(Simd.SWAP1));
        out[0] = b.lane(0);
        out[1] = b.lane(8);
    }

    /** One Q4_K row as {@link #q4_KPair} does two (for the odd row out of a chunk). */
    static float q4_K(MemorySegment s, long base, int blocks, float[] xp, float[] xsumTwice) {
        FloatVector a = FloatVector.zero(F), mins = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++) {
            long o = base + 144L * b;
            FloatVector v = scalesAndMins(s, o);
            mins = v.fma(FloatVector.fromArray(F, xsumTwice, 16 * b), mins);
            for (int c = 0; c < 2; c++) {
                int xb = 256 * b + 128 * c;
                IntVector q = IntVector.fromMemorySegment(I, s, o + 16 + 64 * c, LE);
                FloatVector e = ((FloatVector) q.lanewise(VectorOperators.LSHL, 19).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).mul(FloatVector.fromArray(F, xp, xb + 0));
                FloatVector d = ((FloatVector) q.lanewise(VectorOperators.LSHL, 15).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).mul(FloatVector.fromArray(F, xp, xb + 16));
                e = ((FloatVector) q.lanewise(VectorOperators.LSHL, 11).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(FloatVector.fromArray(F, xp, xb + 32), e);
                d = ((FloatVector) q.lanewise(VectorOperators.LSHL, 7).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(FloatVector.fromArray(F, xp, xb + 48), d);
                e = ((FloatVector) q.lanewise(VectorOperators.LSHL, 3).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(FloatVector.fromArray(F, xp, xb + 64), e);
                d = ((FloatVector) q.lanewise(VectorOperators.LSHR, 1).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(FloatVector.fromArray(F, xp, xb + 80), d);
                e = ((FloatVector) q.lanewise(VectorOperators.LSHR, 5).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(FloatVector.fromArray(F, xp, xb + 96), e);
                d = ((FloatVector) q.lanewise(VectorOperators.LSHR, 9).lanewise(VectorOperators.BITWISE_BLEND, ONE_BITS, NOT_MANTISSA_TOP).reinterpretAsFloats()).fma(FloatVector.fromArray(F, xp, xb + 112), d);
                a = e.fma(v.rearrange(c == 0 ? EVEN0 : EVEN1), a);
                a = d.fma(v.rearrange(c == 0 ? ODD0 : ODD1), a);
            }
        }
        FloatVector v = a.sub(mins);
        v = v.add(v.rearrange(Simd.SWAP8));
        v = v.add(v.rearrange(Simd.SWAP4));
        v = v.add(v.rearrange(Simd.SWAP2));
        return v.add(v.rearrange(Simd.SWAP1)).lane(0);  // fixed-order lane sum: see Simd.SWAP8
    }

    // Byte-lane unpacking of the twelve scale bytes u of a Q4_K block into [sc_0..sc_7, m_0..m_7]:
    // j < 4: sc_j = u[j] & 63, m_j = u[j+4] & 63; j >= 4: sc_j = (u[j+4] & 15) | (u[j-4] >> 6) << 4,
    // m_j = (u[j+4] >> 4) | (u[j] >> 6) << 4.
    private static final VectorShuffle<Byte> LOW_SOURCE = VectorShuffle.fromValues(B, 0, 1, 2, 3, 8, 9, 10, 11, 4, 5, 6, 7, 8, 9, 10, 11);
    private static final VectorShuffle<Byte> TOP_SOURCE = VectorShuffle.fromValues(B, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 4, 5, 6, 7);
    private static final ByteVector LOW_MASK = ByteVector.fromArray(B, new byte[]{63, 63, 63, 63, 15, 15, 15, 15, 63, 63, 63, 63, 0, 0, 0, 0}, 0);
    private static final ByteVector NIBBLE_MASK = ByteVector.fromArray(B, new byte[]{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 15, 15, 15, 15}, 0);
    private static final ByteVector TOP_MASK = ByteVector.fromArray(B, new byte[]{0, 0, 0, 0, 48, 48, 48, 48, 0, 0, 0, 0, 48, 48, 48, 48}, 0);
    private static final VectorMask<Float> HIGH_HALF = VectorMask.fromLong(F, 0xFF00L);

    /**
     * [16·d·sc_0 .. 16·d·sc_7, dmin·m_0 .. dmin·m_7] of the Q4_K block at {@code o}: the scales for sums of
     * (1 + q/16)·x, and against the sub-block sums of x twice, the min and "1" terms. The 6-bit codes are unpacked in
     * byte lanes; unpacking them with scalar code took more issue slots than the block's vector work.
     */
    private static FloatVector scalesAndMins(MemorySegment s, long o) {
        ByteVector u = ByteVector.fromMemorySegment(B, s, o + 4, LE);
        ByteVector low = u.rearrange(LOW_SOURCE);
        // The shifts run in int lanes: x86 has no byte shifts (C2 widens, shifts and packs, five instructions each),
        // and the bits that a wider shift carries in from the neighbouring byte fall outside the mask that follows.
        // (t >> 6) << 4 within a byte is (t >> 2) & 0b110000.
        ByteVector codes = low.and(LOW_MASK)
                .or(low.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().and(NIBBLE_MASK))
                .or(u.rearrange(TOP_SOURCE).reinterpretAsInts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes().and(TOP_MASK));
        FloatVector dd = FloatVector.broadcast(F, 16 * f16(s, o)).blend(f16(s, o + 2), HIGH_HALF);
        return ((FloatVector) codes.convertShape(VectorOperators.B2F, F, 0)).mul(dd);
    }

    /**
     * Q5_K row: as Q4_K with the fifth bit from qh (bit 2p for the low sub-block of pair p, 2p+1 for the high). The
     * pair kernel is a separate method that keeps its accumulators in {@code acc}: one method holding all the vector
     * code of a super-block exceeds C2's inlining node budget, and un-inlined vector calls box every vector.
     */
    static float q5_K(MemorySegment s, long base, int blocks, float[] x, int xOff, float[] xsum32, float[] acc) {
        java.util.Arrays.fill(acc, 0f);
        float mins = 0;
        for (int b = 0; b < blocks; b++) {
            long o = base + 176L * b;
            float d = f16(s, o), dmin = f16(s, o + 2);
            int u0 = s.get(I32, o + 4), u1 = s.get(I32, o + 8), u2 = s.get(I32, o + 12);
            long sc = (u0 & 0x3f3f3f3fL) | ((long) ((u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4)) << 32);
            long mn = (u1 & 0x3f3f3f3fL) | ((long) (((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4)) << 32);
            int sb = 8 * b;
            float msum = 0;
            for (int j = 0; j < 8; j++) msum += (int) ((mn >>> (8 * j)) & 0xFF) * xsum32[sb + j];
            mins += dmin * msum;
            for (int p = 0; p < 4; p++) {
                int xb = xOff + 256 * b + 64 * p;
                long q = o + 48 + 32L * p;
                q5Sub(s, q, o + 16, false, 2 * p, x, xb, d * (int) ((sc >>> (16 * p)) & 0xFF), acc, 0);
                q5Sub(s, q, o + 16, true, 2 * p + 1, x, xb + 32, d * (int) ((sc >>> (16 * p + 8)) & 0xFF), acc, 16);
            }
        }
        FloatVector v = FloatVector.fromArray(F, acc, 0).add(FloatVector.fromArray(F, acc, 16));
        v = v.add(v.rearrange(Simd.SWAP8));
        v = v.add(v.rearrange(Simd.SWAP4));
        v = v.add(v.rearrange(Simd.SWAP2));
        return v.add(v.rearrange(Simd.SWAP1)).lane(0) - mins;  // fixed-order lane sum: see Simd.SWAP8
    }

    /**
     * One 32-value Q5_K sub-block: low or high nibbles of q plus bit {@code bit} of qh as the fifth bit. The bit is
     * isolated with an AND and rescaled in float (16 / 2^bit), because variable-count vector shifts and masked
     * operations compile poorly here.
     */
    private static void q5Sub(MemorySegment s, long q, long qh, boolean high, int bit, float[] x, int xb, float scale,
                              float[] acc, int accOff) {
        IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, s, q, LE).convertShape(VectorOperators.B2I, I, 0);
        IntVector v1 = (IntVector) ByteVector.fromMemorySegment(B, s, q + 16, LE).convertShape(VectorOperators.B2I, I, 0);
        IntVector h0 = (IntVector) ByteVector.fromMemorySegment(B, s, qh, LE).convertShape(VectorOperators.B2I, I, 0);
        IntVector h1 = (IntVector) ByteVector.fromMemorySegment(B, s, qh + 16, LE).convertShape(VectorOperators.B2I, I, 0);
        if (high) {
            v0 = v0.lanewise(VectorOperators.LSHR, 4);
            v1 = v1.lanewise(VectorOperators.LSHR, 4);
        }
        int mask = 1 << bit;
        FloatVector rescale = FloatVector.broadcast(F, 16.0f / mask);
        FloatVector q0 = ((FloatVector) h0.and(mask).convert(VectorOperators.I2F, 0)).fma(rescale, ((FloatVector) v0.and(15).convert(VectorOperators.I2F, 0)));
        FloatVector q1 = ((FloatVector) h1.and(mask).convert(VectorOperators.I2F, 0)).fma(rescale, ((FloatVector) v1.and(15).convert(VectorOperators.I2F, 0)));
        FloatVector t = q0.mul(FloatVector.fromArray(F, x, xb));
        t = q1.fma(FloatVector.fromArray(F, x, xb + 16), t);
        t.fma(FloatVector.broadcast(F, scale), FloatVector.fromArray(F, acc, accOff)).intoArray(acc, accOff);
    }

    /**
     * Q6_K row: sixteen-value sub-blocks map onto one vector each, with its int8 scale. One helper call handles 64
     * values (four sub-blocks), accumulating into {@code acc} (32 floats).
     */
    static float q6_K(MemorySegment s, long base, int blocks, float[] x, int xOff, float[] acc) {
        java.util.Arrays.fill(acc, 0f);
        for (int b = 0; b < blocks; b++) {
            long o = base + 210L * b;
            float d = f16(s, o + 208);
            long sc = o + 192;
            for (int half = 0; half < 2; half++) {
                for (int c = 0; c < 2; c++) {
                    int is = 8 * half + c;
                    q6Chunk(s, o + 64L * half + 16 * c, o + 128 + 32L * half + 16 * c, x, xOff + 256 * b + 128 * half + 16 * c,
                            d * s.get(ValueLayout.JAVA_BYTE, sc + is), d * s.get(ValueLayout.JAVA_BYTE, sc + is + 2),
                            d * s.get(ValueLayout.JAVA_BYTE, sc + is + 4), d * s.get(ValueLayout.JAVA_BYTE, sc + is + 6), acc);
                }
            }
        }
        FloatVector v = FloatVector.fromArray(F, acc, 0).add(FloatVector.fromArray(F, acc, 16));
        v = v.add(v.rearrange(Simd.SWAP8));
        v = v.add(v.rearrange(Simd.SWAP4));
        v = v.add(v.rearrange(Simd.SWAP2));
        return v.add(v.rearrange(Simd.SWAP1)).lane(0);  // fixed-order lane sum: see Simd.SWAP8
    }

    private static void q6Chunk(MemorySegment s, long ql, long qh, float[] x, int xo, float d1, float d2, float d3,
                                float d4, float[] acc) {
        IntVector a = (IntVector) ByteVector.fromMemorySegment(B, s, ql, LE).convertShape(VectorOperators.B2I, I, 0);
        IntVector a2 = (IntVector) ByteVector.fromMemorySegment(B, s, ql + 32, LE).convertShape(VectorOperators.B2I, I, 0);
        IntVector h = (IntVector) ByteVector.fromMemorySegment(B, s, qh, LE).convertShape(VectorOperators.B2I, I, 0);
        FloatVector q1 = ((FloatVector) a.and(15).or(h.lanewise(VectorOperators.LSHL, 4).and(48)).sub(32).convert(VectorOperators.I2F, 0));
        FloatVector q2 = ((FloatVector) a2.and(15).or(h.lanewise(VectorOperators.LSHL, 2).and(48)).sub(32).convert(VectorOperators.I2F, 0));
        FloatVector q3 = ((FloatVector) a.lanewise(VectorOperators.LSHR, 4).and(15).or(h.and(48)).sub(32).convert(VectorOperators.I2F, 0));
        FloatVector q4 = ((FloatVector) a2.lanewise(VectorOperators.LSHR, 4).and(15).or(h.lanewise(VectorOperators.LSHR, 2).and(48)).sub(32).convert(VectorOperators.I2F, 0));
        FloatVector acc0 = FloatVector.fromArray(F, acc, 0), acc1 = FloatVector.fromArray(F, acc, 16);
        acc0 = q1.mul(FloatVector.fromArray(F, x, xo)).fma(FloatVector.broadcast(F, d1), acc0);
        acc1 = q2.mul(FloatVector.fromArray(F, x, xo + 32)).fma(FloatVector.broadcast(F, d2), acc1);
        acc0 = q3.mul(FloatVector.fromArray(F, x, xo + 64)).fma(FloatVector.broadcast(F, d3), acc0);
        acc1 = q4.mul(FloatVector.fromArray(F, x, xo + 96)).fma(FloatVector.broadcast(F, d4), acc1);
        acc0.intoArray(acc, 0);
        acc1.intoArray(acc, 16);
    }
}
