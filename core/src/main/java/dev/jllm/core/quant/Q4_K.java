package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * GGML Q4_K: super-blocks of 256 values, {@code fp16 d | fp16 dmin | u8 scales[12] | u8 qs[128]}: eight sub-blocks
 * of 32 with 6-bit (sc, m); x = d·sc·q − dmin·m. Each 32 bytes of qs hold two sub-blocks (low nibbles, then high).
 */
public final class Q4_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 144;
    static final int SCALES = 4;
    static final int QS = 16;

    private Q4_K() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off);
        float min = Bytes.f16(src, off + 2);
        long q = off + QS;
        int y = dstOff;
        for (int j = 0, is = 0; j < BLOCK; j += 64, is += 2) {
            int sm1 = KQuantMath.scaleMin(src, off + SCALES, is);
            int sm2 = KQuantMath.scaleMin(src, off + SCALES, is + 1);
            float d1 = d * (sm1 & 0xFF), m1 = min * (sm1 >>> 8);
            float d2 = d * (sm2 & 0xFF), m2 = min * (sm2 >>> 8);
            for (int l = 0; l < 32; l++) dst[y + l] = d1 * (Bytes.u8(src, q + l) & 0xF) - m1;
            for (int l = 0; l < 32; l++) dst[y + 32 + l] = d2 * (Bytes.u8(src, q + l) >>> 4) - m2;
            q += 32;
            y += 64;
        }
    }

    /** ggml quantize_row_q4_K_ref (make_qkx2_quants per sub-block, weights av_x + |x|). */
    public static void quantizeBlock(float[] x, int xOff, MemorySegment dst, long off) {
        int[] L = new int[BLOCK];
        KQuantMath.quantizeSubBlocks(x, xOff, 15, -1.0f, 20, dst, off, off + SCALES, L);
        long q = off + QS;
        for (int j = 0; j < BLOCK; j += 64) {
            for (int l = 0; l < 32; l++) Bytes.put8(dst, q + l, L[j + l] | (L[j + l + 32] << 4));
            q += 32;
        }
    }
}
