package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * GGML Q2_K: super-blocks of 256, {@code u8 scales[16] (4-bit scale | 4-bit min) | u8 qs[64] | fp16 d | fp16 dmin};
 * sixteen sub-blocks of 16 two-bit values; x = d·sc·q − dmin·m. Dequantization only (load-time conversion).
 */
public final class Q2_K {
    public static final int BLOCK = 256;
    public static final int BYTES = 84;

    private Q2_K() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off + 80);
        float min = Bytes.f16(src, off + 82);
        long q = off + 16;
        int is = 0, y = dstOff;
        for (int n = 0; n < BLOCK; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 2; half++) {
                    int sc = Bytes.u8(src, off + is++);
                    float dl = d * (sc & 0xF), ml = min * (sc >>> 4);
                    for (int l = 0; l < 16; l++) dst[y++] = dl * ((Bytes.u8(src, q + 16 * half + l) >>> shift) & 3) - ml;
                }
            }
            q += 32;
        }
    }
}
