package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * GGML Q6_K: super-blocks of 256, {@code u8 ql[128] | u8 qh[64] | int8 scales[16] | fp16 d}: sixteen sub-blocks of
 * 16 with int8 scales; x = d·sc·(q − 32), q = 4 low bits from ql and 2 high bits from qh.
 */
public final class Q6_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 210;
    static final int QH = 128;
    static final int SCALES = 192;
    static final int D = 208;

    private Q6_K() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off + D);
        long ql = off, qh = off + QH, sc = off + SCALES;
        int y = dstOff;
        for (int n = 0; n < BLOCK; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int lo = Bytes.u8(src, ql + l), lo2 = Bytes.u8(src, ql + l + 32), h = Bytes.u8(src, qh + l);
                int q1 = ((lo & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((lo2 & 0xF) | (((h >>> 2) & 3) << 4)) - 32;
                int q3 = ((lo >>> 4) | (((h >>> 4) & 3) << 4)) - 32;
                int q4 = ((lo2 >>> 4) | (((h >>> 6) & 3) << 4)) - 32;
                dst[y + l] = d * Bytes.i8(src, sc + is) * q1;
                dst[y + l + 32] = d * Bytes.i8(src, sc + is + 2) * q2;
                dst[y + l + 64] = d * Bytes.i8(src, sc + is + 4) * q3;
                dst[y + l + 96] = d * Bytes.i8(src, sc + is + 6) * q4;
            }
            y += 128;
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }

    /** ggml quantize_row_q6_K_ref (make_qx_quants per 16 values, int8 scales relative to the largest). */
    public static void quantizeBlock(float[] x, int xOff, MemorySegment dst, long off) {
        int[] L = new int[BLOCK];
        float[] scales = new float[16];
        float maxScale = 0, maxAbsScale = 0;
        for (int ib = 0; ib < 16; ib++) {
            float scale = KQuantMath.makeQxQuants(16, 32, x, xOff + 16 * ib, L, 16 * ib);
            scales[ib] = scale;
            if (Math.abs(scale) > maxAbsScale) {
                maxAbsScale = Math.abs(scale);
                maxScale = scale;
            }
        }
        if (maxAbsScale < KQuantMath.GROUP_MAX_EPS) {
            dst.asSlice(off, BYTES).fill((byte) 0);
            return;
        }
        float iscale = -128.0f / maxScale;
        Bytes.putF16(dst, off + D, 1 / iscale);
        for (int ib = 0; ib < 16; ib++) {
            Bytes.put8(dst, off + SCALES + ib, Math.min(127, Bytes.nearestInt(iscale * scales[ib])));
        }
        float d16 = Bytes.f16(dst, off + D);
        for (int j = 0; j < 16; j++) {
            float d = d16 * Bytes.i8(dst, off + SCALES + j);
            if (d == 0) continue;
            for (int ii = 0; ii < 16; ii++) {
                int l = Bytes.nearestInt(x[xOff + 16 * j + ii] / d);
                L[16 * j + ii] = Math.max(-32, Math.min(31, l)) + 32;
            }
        }
        long ql = off, qh = off + QH;
        for (int j = 0; j < BLOCK; j += 128) {
            for (int l = 0; l < 32; l++) {
                int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF, q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
                Bytes.put8(dst, ql + l, q1 | (q3 << 4));
                Bytes.put8(dst, ql + l + 32, q2 | (q4 << 4));
                Bytes.put8(dst, qh + l, (L[j + l] >>> 4) | ((L[j + l + 32] >>> 4) << 2) | ((L[j + l + 64] >>> 4) << 4)
                        | ((L[j + l + 96] >>> 4) << 6));
            }
            ql += 64;
            qh += 32;
        }
    }
}
