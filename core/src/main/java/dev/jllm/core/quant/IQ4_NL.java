package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/** GGML IQ4_NL: blocks of 32, {@code fp16 d | u8 qs[16]}, 4-bit indices into a fixed non-linear table; x = d·T[q]. */
public final class IQ4_NL {
    public static final int BLOCK = 32;
    public static final int BYTES = 18;
    private static final byte[] VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

    private IQ4_NL() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(src, off + 2 + j);
            dst[dstOff + j] = d * VALUES[q & 0xF];
            dst[dstOff + j + 16] = d * VALUES[q >>> 4];
        }
    }
}
