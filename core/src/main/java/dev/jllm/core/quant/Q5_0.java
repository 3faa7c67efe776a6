package dev.jllm.core.quant;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * GGML Q5_0: blocks of 32, {@code fp16 d | u32 qh | u8 qs[16]}; 4 low bits as Q4_0, bit j of qh is the fifth bit
 * of element j; x = d·(q − 16).
 */
public final class Q5_0 {
    public static final int BLOCK = 32;
    public static final int BYTES = 22;
    static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Q5_0() {}

    public static void dequantizeBlock(MemorySegment src, long off, float[] dst, int dstOff) {
        float d = Bytes.f16(src, off);
        int qh = src.get(LE_INT, off + 2);
        for (int j = 0; j < 16; j++) {
            int q = Bytes.u8(src, off + 6 + j);
            int h0 = ((qh >>> j) << 4) & 0x10;
            int h1 = (qh >>> (j + 12)) & 0x10;
            dst[dstOff + j] = (((q & 0xF) | h0) - 16) * d;
            dst[dstOff + j + 16] = (((q >>> 4) | h1) - 16) * d;
        }
    }

    /** ggml quantize_row_q5_0_ref: d = (signed value of largest magnitude)/−16, q = min(31, trunc(x/d + 16.5)). */
    public static void quantizeBlock(float[] src, int srcOff, MemorySegment dst, long off) {
        float amax = 0, max = 0;
        for (int j = 0; j < BLOCK; j++) {
            float v = src[srcOff + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -16;
        float id = d != 0 ? 1.0f / d : 0.0f;
        Bytes.putF16(dst, off, d);
        int qh = 0;
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(31, (int) (src[srcOff + j] * id + 16.5f));
            int q1 = Math.min(31, (int) (src[srcOff + j + 16] * id + 16.5f));
            Bytes.put8(dst, off + 6 + j, (q0 & 0xF) | ((q1 & 0xF) << 4));
            qh |= ((q0 & 0x10) >>> 4) << j;
            qh |= ((q1 & 0x10) >>> 4) << (j + 16);
        }
        dst.set(LE_INT, off + 2, qh);
    }
}
