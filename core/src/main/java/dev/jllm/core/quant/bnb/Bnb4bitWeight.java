package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Gemm;

import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * A matrix in bitsandbytes' 4-bit format: the row-major elements in blocks of 64, each block scaled by its absmax
 * (stored plainly, or double-quantized), each element a 4-bit code, two codes per byte with the first in the high
 * nibble. The matrix products read the packed bytes in place, one row at a time, so the weight is never dequantized
 * as a whole: the forward {@code y = x·Wᵀ} and the input gradient {@code dx = dy·W} of a frozen linear layer.
 *
 * @param shape  PyTorch shape, {@code [out, in]} for a linear weight
 * @param absmax per-block absmax when not double-quantized, else null
 * @param nested the double-quantized absmax, else null
 */
public record Bnb4bitWeight(QuantType type, long[] shape, byte[] packed, float[] absmax, DoubleQuant nested) {
    public static final int BLOCK = 64;

    public Bnb4bitWeight {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        if (packed.length != (n + 1) / 2) {
            throw new JllmException("4-bit weight of shape " + Arrays.toString(shape) + ": " + packed.length
                    + " packed bytes, expected " + (n + 1) / 2);
        }
        long blocks = (n + BLOCK - 1) / BLOCK;
        if ((absmax == null) == (nested == null)) throw new JllmException("4-bit weight: exactly one of absmax and its double quantization must be given");
        int have = absmax != null ? absmax.length : nested.absmaxQ().length;
        if (have != blocks) throw new JllmException("4-bit weight of shape " + Arrays.toString(shape) + ": " + have + " absmax values, expected " + blocks);
        if (nested != null && nested.nestedAbsmax().length != (blocks + DoubleQuant.NESTED_BLOCK - 1) / DoubleQuant.NESTED_BLOCK) {
            throw new JllmException("4-bit weight: " + nested.nestedAbsmax().length + " nested absmax values, expected "
                    + (blocks + DoubleQuant.NESTED_BLOCK - 1) / DoubleQuant.NESTED_BLOCK);
        }
    }

    /** Quantizes row-major values as bitsandbytes' {@code quantize_4bit(blocksize=64)} does. */
    public static Bnb4bitWeight quantize(float[] values, long[] shape, QuantType type, boolean doubleQuant) {
        return Bnb4bitQuantizer.quantize(values, shape, type, doubleQuant);
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public int rows() {
        return (int) shape[0];
    }

    public int cols() {
        return (int) (elementCount() / shape[0]);
    }

    /** The absmax each block is scaled by (restored from the double quantization when there is one). */
    public float[] blockAbsmax() {
        return nested != null ? nested.restore() : absmax.clone();
    }

    /**
     * This weight as panels of B for core's {@link Gemm}, dequantized (and rounded to {@code dtype}, as bitsandbytes
     * dequantizes into {@code bnb_4bit_compute_dtype}) panel by panel while the product packs them, so no dense copy
     * of the matrix ever exists: {@code transposed == false} gives B = W {@code [out, in]} for a frozen layer's
     * forward {@code y = x·Wᵀ}; {@code true} gives B = Wᵀ for its input gradient {@code dx = dy·W}.
     */
    public Gemm.PanelSource panels(boolean transposed, ComputeDtype dtype) {
        float[] scale = blockAbsmax();
        int rows = rows(), cols = cols();
        float[] lut = new float[16];
        for (int c = 0; c < 16; c++) lut[c] = type.code(c);
        boolean round = dtype != ComputeDtype.FLOAT32_EXACT;
        return new Gemm.ElementPanels(rows, cols, transposed) {
            @Override
            protected float value(int i) {
                int b = packed[i >> 1] & 0xFF;
                float v = lut[(i & 1) == 0 ? b >>> 4 : b & 0xF] * scale[i / BLOCK];
                return round ? dtype.round(v) : v;
            }
        };
    }

    /** The unpacked codes, one per element. */
    public byte[] indices() {
        int n = (int) elementCount();
        byte[] out = new byte[n];
        for (int i = 0; i < n; i++) out[i] = (byte) code(i);
        return out;
    }

    private int code(int i) {
        int b = packed[i >> 1] & 0xFF;
        return (i & 1) == 0 ? b >>> 4 : b & 0xF;
    }

    /** {@code code[idx] * absmax}, row-major, as bitsandbytes' {@code dequantize_4bit} returns it. */
    public float[] dequantize() {
        int n = (int) elementCount();
        float[] scale = blockAbsmax();
        float[] out = new float[n];
        for (int i = 0; i < n; i++) out[i] = type.code(code(i)) * scale[i / BLOCK];
        return out;
    }
}
