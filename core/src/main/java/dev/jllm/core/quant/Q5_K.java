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
        KQuantMath.quantizeSubBlocks(x, xOff, 31, -0.5f, 15, dst, off, off + SCALES, L);
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
