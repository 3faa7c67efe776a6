package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/** GGML Q5_1: blocks of 32, {@code fp16 d | fp16 m | u32 qh | u8 qs[16]} (bits as Q5_0); x = d·q + m. */
public final class Q5_1 {
    public static final int BLOCK = 32;
    public static final int BYTES = 24;

    private Q5_1() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off);
        float m = Bytes.f16(src, off + 2);
        int qh = src.get(Q5_0.LE_INT, off + 4);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(src, off + 8 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            dst[dstOff + j] = ((q & 0xF) | h0) * d + m;
            dst[dstOff + j + 16] = ((q >>> 4) | h1) * d + m;
        }
    }
}
