package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** GGML Q8_0: blocks of 32 values, {@code fp16 d | int8 qs[32]}, x = d·q. */
public final class Q8_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 34;

    private Q8_0() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off);
        for (int j = 0; j < BLOCK; j++) dst[dstOff + j] = src.get(ValueLayout.JAVA_BYTE, off + 2 + j) * d;
    }

    /** ggml quantize_row_q8_0_ref: q = roundf(x / (amax/127)), with the float32 d before fp16 rounding. */
    public static void quantizeBlock(float[] src, int srcOff, MemorySegment dst, long off) {
        float amax = 0;
        for (int j = 0; j < BLOCK; j++) amax = Math.max(amax, Math.abs(src[srcOff + j]));
        float d = amax / 127;
        float id = d != 0 ? 1.0f / d : 0.0f;
        Bytes.putF16(dst, off, d);
        for (int j = 0; j < BLOCK; j++) Bytes.put8(dst, off + 2 + j, (int) Bytes.roundf(src[srcOff + j] * id));
    }
}
