package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * GGML Q5_K: super-blocks of 256, {@code fp16 d | fp16 dmin | u8 scales[12] | u8 qh[32] | u8 qs[128]}; like Q4_K
 * with a fifth bit per value from qh (sub-block pair p uses bits 2p and 2p+1); x = d·sc·q − dmin·m.
 */
public final class Q5_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 176;
    static final int SCALES = 4;
    static final int QH = 16;
    static final int QS = 48;

    private Q5_K() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off);
        float min = Bytes.f16(src, off + 2);
        long ql = off + QS;
        int y = dstOff;
        int u1 = 1, u2 = 2;
        for (int j = 0, is = 0; j < BLOCK; j += 64, is += 2) {
            int sm1 = KQuantMath.scaleMin(src, off + SCALES, is);
            int sm2 = KQuantMath.scaleMin(src, off + SCALES, is + 1);
            float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >>> 8);
            float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >>> 8);
            for (int l = 0; l < 32; l++) {
                int h = Bytes.u8(src, off + QH + l);
                dst[y + l] = d1 * ((Bytes.u8(src, ql + l) & 0xF) + ((h & u1) != 0 ? 16 : 0)) - m1;
            }
            for (int l = 0; l < 32; l++) {
                int h = Bytes.u8(src, off + QH + l);
                dst[y + 32 + l] = d2 * ((Bytes.u8(src, ql + l) >>> 4) + ((h & u2) != 0 ? 16 : 0)) - m2;
            }
            ql += 32;
            y += 64;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    /** ggml quantize_row_q5_K_ref. */
    public static void quantizeBlock(float[] x, int xOff, MemorySegment dst, long off) {
        int[] L = new int[BLOCK];
        int[] laux = new int[32];
        float[] weights = new float[32];
        float[] scales = new float[8], mins = new float[8], minOut = new float[1];
        float maxScale = 0, maxMin = 0;
        for (int j = 0; j < 8; j++) {
            float sumX2 = 0;
            for (int l = 0; l < 32; l++) sumX2 += x[xOff + 32 * j + l] * x[xOff + 32 * j + l];
            float avX = (float) Math.sqrt(sumX2 / 32);
            for (int l = 0; l < 32; l++) weights[l] = avX + Math.abs(x[xOff + 32 * j + l]);
            scales[j] = KQuantMath.makeQkx2Quants(32, 31, x, xOff + 32 * j, weights, L, 32 * j, minOut, laux,
                    -0.5f, 0.1f, 15);
            mins[j] = minOut[0];
            if (scales[j] > maxScale) maxScale = scales[j];
            if (mins[j] > maxMin) maxMin = mins[j];
        }
        float invScale = maxScale > 0 ? 63.0f / maxScale : 0.0f;
        float invMin = maxMin > 0 ? 63.0f / maxMin : 0.0f;
        int[] ls = new int[8], lm = new int[8];
        for (int j = 0; j < 8; j++) {
            ls[j] = Math.min(63, Bytes.nearestInt(invScale * scales[j]));
            lm[j] = Math.min(63, Bytes.nearestInt(invMin * mins[j]));
        }
        KQuantMath.packScales(ls, lm, dst, off + SCALES);
        Bytes.putF16(dst, off, maxScale / 63.0f);
        Bytes.putF16(dst, off + 2, maxMin / 63.0f);
        float d = Bytes.f16(dst, off), dmin = Bytes.f16(dst, off + 2);
        for (int j = 0; j < 8; j++) {
            int sm = KQuantMath.scaleMin(dst, off + SCALES, j);
            float dj = d * (sm & 0xFF);
            if (dj == 0) continue;
            float dm = dmin * (sm >>> 8);
            for (int ii = 0; ii < 32; ii++) {
                int l = Bytes.nearestInt((x[xOff + 32 * j + ii] + dm) / dj);
                L[32 * j + ii] = Math.max(0, Math.min(31, l));
            }
        }
        int[] qh = new int[32];
        long ql = off + QS;
        int m1 = 1, m2 = 2;
        for (int n = 0; n < BLOCK; n += 64) {
            for (int j = 0; j < 32; j++) {
                int l1 = L[n + j];
                if (l1 > 15) {
                    l1 -= 16;
                    qh[j] |= m1;
                }
                int l2 = L[n + j + 32];
                if (l2 > 15) {
                    l2 -= 16;
                    qh[j] |= m2;
                }
                Bytes.put8(dst, ql + j, l1 | (l2 << 4));
            }
            m1 <<= 2;
            m2 <<= 2;
            ql += 32;
        }
        for (int j = 0; j < 32; j++) Bytes.put8(dst, off + QH + j, qh[j]);
    }
}
