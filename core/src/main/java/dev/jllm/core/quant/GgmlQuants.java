package dev.jllm.core.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * Quantize float32 data into GGML blocks and dequantize them back. Dequantization is bit-exact with ggml's
 * reference C code (and gguf-py); quantization follows ggml's {@code quantize_row_*_ref}. Weight matrices compute
 * on Q8_0, Q4_0, Q4_1, Q4_K, Q5_K and Q6_K in place; Q5_0, Q5_1, Q2_K and IQ4_NL can only be dequantized (a loader
 * widens them at load time), and Q5_0 also quantized.
 */
public final class GgmlQuants {
    private GgmlQuants() {}

    /** Whether {@link #quantize} handles the type. */
    public static boolean canQuantize(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /** Whether {@link #dequantize} handles the type. */
    public static boolean canDequantize(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q4_K, Q5_K, Q6_K, IQ4_NL -> true;
            default -> false;
        };
    }

    /** Quantizes {@code src} (length a multiple of the block size) into a new heap segment of GGML blocks. */
    public static MemorySegment quantize(GgmlType type, float[] src) {
        return MemorySegment.ofArray(quantizeToBytes(type, src, 0, src.length));
    }

    public static byte[] quantizeToBytes(GgmlType type, float[] src, int off, int count) {
        if (!canQuantize(type)) {
            throw new JllmException("cannot quantize to GGML type " + type + " (supported: Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q5_K, Q6_K)");
        }
        int bs = type.blockSize();
        if (count % bs != 0) {
            throw new JllmException("cannot quantize " + count + " values to " + type + ": not a multiple of the block size " + bs);
        }
        byte[] out = new byte[Math.toIntExact(type.byteSize(count))];
        MemorySegment dst = MemorySegment.ofArray(out);
        int blocks = count / bs;
        for (int b = 0; b < blocks; b++) {
            long o = (long) b * type.typeSize();
            int s = off + b * bs;
            switch (type) {
                case Q8_0 -> Q8_0.quantizeBlock(src, s, dst, o);
                case Q4_0 -> Q4_0.quantizeBlock(src, s, dst, o);
                case Q4_1 -> Q4_1.quantizeBlock(src, s, dst, o);
                case Q5_0 -> Q5_0.quantizeBlock(src, s, dst, o);
                case Q4_K -> Q4_K.quantizeBlock(src, s, dst, o);
                case Q5_K -> Q5_K.quantizeBlock(src, s, dst, o);
                case Q6_K -> Q6_K.quantizeBlock(src, s, dst, o);
                default -> throw new AssertionError(type);
            }
        }
        return out;
    }

    /** Dequantizes {@code count} values (whole blocks) starting at byte {@code srcOff} into {@code dst[dstOff..]}. */
    public static void dequantize(GgmlType type, MemorySegment src, long srcOff, float[] dst, int dstOff, int count) {
        if (!canDequantize(type)) {
            throw new JllmException("cannot dequantize GGML type " + type + " (supported: Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q4_K, Q5_K, Q6_K, IQ4_NL)");
        }
        int bs = type.blockSize();
        if (count % bs != 0) {
            throw new JllmException("cannot dequantize " + count + " values of " + type + ": not a multiple of the block size " + bs);
        }
        long need = (long) count / bs * type.typeSize();
        if (srcOff < 0 || srcOff + need > src.byteSize()) {
            throw new JllmException("cannot dequantize " + count + " values of " + type + ": they need " + need
                    + " bytes from offset " + srcOff + ", the data has " + src.byteSize());
        }
        for (int b = 0; b < count / bs; b++) {
            long o = srcOff + (long) b * type.typeSize();
            int d = dstOff + b * bs;
            switch (type) {
                case Q8_0 -> Q8_0.dequantizeBlock(src, o, dst, d);
                case Q4_0 -> Q4_0.dequantizeBlock(src, o, dst, d);
                case Q4_1 -> Q4_1.dequantizeBlock(src, o, dst, d);
                case Q5_0 -> Q5_0.dequantizeBlock(src, o, dst, d);
                case Q5_1 -> Q5_1.dequantizeBlock(src, o, dst, d);
                case Q2_K -> Q2_K.dequantizeBlock(src, o, dst, d);
                case IQ4_NL -> IQ4_NL.dequantizeBlock(src, o, dst, d);
                case Q4_K -> Q4_K.dequantizeBlock(src, o, dst, d);
                case Q5_K -> Q5_K.dequantizeBlock(src, o, dst, d);
                case Q6_K -> Q6_K.dequantizeBlock(src, o, dst, d);
                default -> throw new AssertionError(type);
            }
        }
    }

    public static float[] dequantize(GgmlType type, MemorySegment src, int count) {
        float[] out = new float[count];
        dequantize(type, src, 0, out, 0, count);
        return out;
    }
}
