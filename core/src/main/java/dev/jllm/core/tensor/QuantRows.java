package dev.jllm.core.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Vectorized dequantization of whole blocks into float arrays, for GEMM panels and {@code dequantizeRow}. Bit-exact
 * with ggml: each value is computed with the same float operations in the same order (separate multiply and
 * subtract, never a fused multiply-add). Written for 16-float vectors; see {@link QuantDots#AVAILABLE}.
 */
final class QuantRows {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private QuantRows() {}

    private static float f16(MemorySegment s, long off) {
        return Float.float16ToFloat(s.get(Layouts.I16, off));
    }

    static void q8_0(MemorySegment s, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 34, dstOff += 32) {
            FloatVector d = FloatVector.broadcast(F, f16(s, off));
            ((FloatVector) ByteVector.fromMemorySegment(B, s, off + 2, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, dstOff);
            ((FloatVector) ByteVector.fromMemorySegment(B, s, off + 18, LE).convertShape(VectorOperators.B2F, F, 0)).mul(d).intoArray(dst, dstOff + 16);
        }
    }

    static void q4_0(MemorySegment s, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 18, dstOff += 32) {
            FloatVector d = FloatVector.broadcast(F, f16(s, off));
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 2, LE).convertShape(VectorOperators.B2I, I, 0);
            ((FloatVector) q.and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, dstOff);
            ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(d).intoArray(dst, dstOff + 16);
        }
    }

    static void q4_1(MemorySegment s, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 20, dstOff += 32) {
            FloatVector d = FloatVector.broadcast(F, f16(s, off));
            FloatVector m = FloatVector.broadcast(F, f16(s, off + 2));
            IntVector q = (IntVector) ByteVector.fromMemorySegment(B, s, off + 4, LE).convertShape(VectorOperators.B2I, I, 0);
            ((FloatVector) q.and(15).convert(VectorOperators.I2F, 0)).mul(d).add(m).intoArray(dst, dstOff);
            ((FloatVector) q.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).mul(d).add(m).intoArray(dst, dstOff + 16);
        }
    }

    static void q4_K(MemorySegment s, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 144) {
            float d = f16(s, off), min = f16(s, off + 2);
            int u0 = s.get(Layouts.I32, off + 4), u1 = s.get(Layouts.I32, off + 8), u2 = s.get(Layouts.I32, off + 12);
            long sc = (u0 & 0x3f3f3f3fL) | ((long) ((u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4)) << 32);
            long mn = (u1 & 0x3f3f3f3fL) | ((long) (((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4)) << 32);
            for (int p = 0; p < 4; p++, dstOff += 64) {
                long q = off + 16 + 32L * p;
                FloatVector d1 = FloatVector.broadcast(F, d * (int) ((sc >>> (16 * p)) & 0xFF));
                FloatVector m1 = FloatVector.broadcast(F, min * (int) ((mn >>> (16 * p)) & 0xFF));
                FloatVector d2 = FloatVector.broadcast(F, d * (int) ((sc >>> (16 * p + 8)) & 0xFF));
                FloatVector m2 = FloatVector.broadcast(F, min * (int) ((mn >>> (16 * p + 8)) & 0xFF));
                IntVector v0 = (IntVector) ByteVector.fromMemorySegment(B, s, q, LE).convertShape(VectorOperators.B2I, I, 0);
                IntVector v1 = (IntVector) ByteVector.fromMemorySegment(B, s, q + 16, LE).convertShape(VectorOperators.B2I, I, 0);
                d1.mul((FloatVector) v0.and(15).convert(VectorOperators.I2F, 0)).sub(m1).intoArray(dst, dstOff);
                d1.mul((FloatVector) v1.and(15).convert(VectorOperators.I2F, 0)).sub(m1).intoArray(dst, dstOff + 16);
                d2.mul((FloatVector) v0.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).sub(m2).intoArray(dst, dstOff + 32);
                d2.mul((FloatVector) v1.lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0)).sub(m2).intoArray(dst, dstOff + 48);
            }
        }
    }

    static void q5_K(MemorySegment s, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 176) {
            float d = f16(s, off), min = f16(s, off + 2);
            int u0 = s.get(Layouts.I32, off + 4), u1 = s.get(Layouts.I32, off + 8), u2 = s.get(Layouts.I32, off + 12);
            long sc = (u0 & 0x3f3f3f3fL) | ((long) ((u2 & 0x0f0f0f0f) | (((u0 >>> 6) & 0x03030303) << 4)) << 32);
            long mn = (u1 & 0x3f3f3f3fL) | ((long) (((u2 >>> 4) & 0x0f0f0f0f) | (((u1 >>> 6) & 0x03030303) << 4)) << 32);
            for (int j = 0; j < 8; j++, dstOff += 32) {
                // sub-block j: nibbles of qs[32*(j/2)..] (low for even j, high for odd), fifth bit = bit j of qh
                long q = off + 48 + 32L * (j >>> 1);
                FloatVector dj = FloatVector.broadcast(F, d * (int) ((sc >>> (8 * j)) & 0xFF));
                FloatVector mj = FloatVector.broadcast(F, min * (int) ((mn >>> (8 * j)) & 0xFF));
                FloatVector rescale = FloatVector.broadcast(F, 16.0f / (1 << j));
                int nibbleShift = (j & 1) * 4;
                for (int h = 0; h < 2; h++) {
                    IntVector v = (IntVector) ByteVector.fromMemorySegment(B, s, q + 16 * h, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector hb = (IntVector) ByteVector.fromMemorySegment(B, s, off + 16 + 16 * h, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector nib = nibbleShift == 0 ? v.and(15) : v.lanewise(VectorOperators.LSHR, 4).and(15);
                    // small integers: (float) bit * (16 / 2^j) + nibble is exact
                    FloatVector qf = ((FloatVector) hb.and(1 << j).convert(VectorOperators.I2F, 0)).mul(rescale)
                            .add((FloatVector) nib.convert(VectorOperators.I2F, 0));
                    dj.mul(qf).sub(mj).intoArray(dst, dstOff + 16 * h);
                }
            }
        }
    }

    static void q6_K(MemorySegment s, long off, int blocks, float[] dst, int dstOff) {
        for (int b = 0; b < blocks; b++, off += 210) {
            float d = f16(s, off + 208);
            for (int half = 0; half < 2; half++) {
                long ql = off + 64L * half, qh = off + 128 + 32L * half, sc = off + 192 + 8L * half;
                int y = dstOff + 256 * b + 128 * half;
                for (int c = 0; c < 2; c++) {
                    IntVector a = (IntVector) ByteVector.fromMemorySegment(B, s, ql + 16 * c, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector a2 = (IntVector) ByteVector.fromMemorySegment(B, s, ql + 32 + 16 * c, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector h = (IntVector) ByteVector.fromMemorySegment(B, s, qh + 16 * c, LE).convertShape(VectorOperators.B2I, I, 0);
                    IntVector q1 = a.and(15).or(h.lanewise(VectorOperators.LSHL, 4).and(48)).sub(32);
                    IntVector q2 = a2.and(15).or(h.lanewise(VectorOperators.LSHL, 2).and(48)).sub(32);
                    IntVector q3 = a.lanewise(VectorOperators.LSHR, 4).and(15).or(h.and(48)).sub(32);
                    IntVector q4 = a2.lanewise(VectorOperators.LSHR, 4).and(15).or(h.lanewise(VectorOperators.LSHR, 2).and(48)).sub(32);
                    int o = y + 16 * c;
                    ((FloatVector) q1.convert(VectorOperators.I2F, 0)).mul(d * s.get(ValueLayout.JAVA_BYTE, sc + c)).intoArray(dst, o);
                    ((FloatVector) q2.convert(VectorOperators.I2F, 0)).mul(d * s.get(ValueLayout.JAVA_BYTE, sc + c + 2)).intoArray(dst, o + 32);
                    ((FloatVector) q3.convert(VectorOperators.I2F, 0)).mul(d * s.get(ValueLayout.JAVA_BYTE, sc + c + 4)).intoArray(dst, o + 64);
                    ((FloatVector) q4.convert(VectorOperators.I2F, 0)).mul(d * s.get(ValueLayout.JAVA_BYTE, sc + c + 6)).intoArray(dst, o + 96);
                }
            }
        }
    }
}
