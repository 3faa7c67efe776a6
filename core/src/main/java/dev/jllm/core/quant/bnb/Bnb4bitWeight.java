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
        return new Panels(blockAbsmax(), transposed, dtype);
    }

    /**
     * Panels dequantized a row segment at a time ({@link #dequantize(float[], int, int, float[], float[], int)}), a
     * byte's two codes and one absmax per block at a time. (Measured against a generic element reader: the same
     * speed at training sizes, where packing is a small share of each product; the segment form is kept because it
     * reads as the format is laid out.)
     */
    private final class Panels extends Gemm.SegmentPanels {
        private final float[] scale;
        private final ComputeDtype dtype;
        /** {@code pairs[2b]}, {@code pairs[2b + 1]}: the codes of byte b's high and low nibble. */
        private final float[] pairs = new float[512];

        Panels(float[] scale, boolean transposed, ComputeDtype dtype) {
            super(rows(), cols(), transposed);
            this.scale = scale;
            this.dtype = dtype;
            for (int b = 0; b < 256; b++) {
                pairs[2 * b] = type.code(b >>> 4);
                pairs[2 * b + 1] = type.code(b & 0xF);
            }
        }

        @Override
        protected void segment(int from, int n, float[] dst, int dOff) {
            dequantize(pairs, from, n, scale, dst, dOff);
            if (dtype != ComputeDtype.FLOAT32_EXACT) for (int i = dOff; i < dOff + n; i++) dst[i] = dtype.round(dst[i]);
        }
    }

    /**
     * Elements {@code [from, from + n)} (row-major) dequantized into {@code dst}: {@code code * absmax}, as
     * {@link #dequantize()} computes them, a byte (two codes) at a time within each block.
     */
    private void dequantize(float[] pairs, int from, int n, float[] scale, float[] dst, int dOff) {
        int i = from, end = from + n, d = dOff;
        while (i < end) {
            int blockEnd = Math.min(end, (i / BLOCK + 1) * BLOCK);
            float s = scale[i / BLOCK];
            if ((i & 1) == 1) dst[d++] = pairs[2 * (packed[i++ >> 1] & 0xFF) + 1] * s;
            for (; i + 1 < blockEnd; i += 2) {
                int p = 2 * (packed[i >> 1] & 0xFF);
                dst[d] = pairs[p] * s;
                dst[d + 1] = pairs[p + 1] * s;
                d += 2;
            }
            if (i < blockEnd) dst[d++] = pairs[2 * (packed[i++ >> 1] & 0xFF)] * s;
        }
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
