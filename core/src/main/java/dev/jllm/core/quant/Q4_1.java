package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/** GGML Q4_1: blocks of 32 values, {@code fp16 d | fp16 m | u8 qs[16]} (nibbles as Q4_0); x = d·q + m. */
public final class Q4_1 {
    public static final int BLOCK = 32;
    public static final int BYTES = 20;

    private Q4_1() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off);
        float m = Bytes.f16(src, off + 2);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(src, off + 4 + j);
            dst[dstOff + j] = (q & 0xF) * d + m;
            dst[dstOff + j + 16] = (q >>> 4) * d + m;
        }
    }

    /** ggml quantize_row_q4_1_ref: d = (max − min)/15, m = min, q = min(15, trunc((x − min)/d + 0.5)). */
    public static void quantizeBlock(float[] src, int srcOff, MemorySegment dst, long off) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < BLOCK; j++) {
            float v = src[srcOff + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / 15;
        float id = d != 0 ? 1.0f / d : 0.0f;
        Bytes.putF16(dst, off, d);
        Bytes.putF16(dst, off + 2, min);
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) ((src[srcOff + j] - min) * id + 0.5f));
            int q1 = Math.min(15, (int) ((src[srcOff + j + 16] - min) * id + 0.5f));
            Bytes.put8(dst, off + 4 + j, q0 | (q1 << 4));
        }
    }
}
