package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;

/**
 * GGML Q4_0: blocks of 32 values, {@code fp16 d | u8 qs[16]}; element j is the low nibble of qs[j], element j+16
 * the high nibble; x = d·(q − 8).
 */
public final class Q4_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 18;

    private Q4_0() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(src, off + 2 + j);
            dst[dstOff + j] = ((q & 0xF) - 8) * d;
            dst[dstOff + j + 16] = ((q >>> 4) - 8) * d;
        }
    }

    /** ggml quantize_row_q4_0_ref: d = (signed value of largest magnitude)/−8, q = min(15, trunc(x/d + 8.5)). */
    public static void quantizeBlock(float[] src, int srcOff, MemorySegment dst, long off) {
        float amax = 0, max = 0;
        for (int j = 0; j < BLOCK; j++) {
            float v = src[srcOff + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8;
        float id = d != 0 ? 1.0f / d : 0.0f;
        Bytes.putF16(dst, off, d);
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) (src[srcOff + j] * id + 8.5f));
            int q1 = Math.min(15, (int) (src[srcOff + j + 16] * id + 8.5f));
            Bytes.put8(dst, off + 2 + j, q0 | (q1 << 4));
        }
    }
}
