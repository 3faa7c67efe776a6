package dev.jllm.train.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;
import dev.jllm.train.nn.FrozenEmbedding;
import dev.jllm.train.nn.FrozenWeight;
import dev.jllm.train.nn.HalfPanels;
import dev.jllm.train.nn.MatrixProducts;
import dev.jllm.train.precision.Precision;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A frozen matrix kept in 16 bits per element, bfloat16 or float16: the base projections of LoRA on a bf16 base, and
 * the frozen embedding and {@code lm_head} of a QLoRA model whose compute dtype is 16-bit (what transformers holds with
 * {@code torch_dtype=bfloat16}, and TRL's {@code peft_module_casting_to_bf16} leaves for these two modules). Both
 * products run on core's {@link Gemm} with the matrix widened to float32 panel by panel while it is packed (both
 * formats widen exactly), so no float32 copy of it exists; {@link #gather} is the embedding lookup.
 *
 * @param bits   the 16-bit patterns, row-major {@code [rows, cols]} ({@code [out, in]}, or {@code [vocab, hidden]})
 * @param format {@link DType#BF16} or {@link DType#F16}
 */
public record HalfLinear(short[] bits, int rows, int cols, DType format) implements FrozenWeight, FrozenEmbedding, MatrixProducts.Paneled {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public HalfLinear {
        if (format != DType.BF16 && format != DType.F16) throw new IllegalArgumentException("a 16-bit matrix is BF16 or F16, not " + format);
        if ((long) rows * cols != bits.length) throw new IllegalArgumentException("16-bit matrix [" + rows + ", " + cols + "] needs " + (long) rows * cols + " values, got " + bits.length);
    }

    /** A 2-D BF16 safetensors tensor, copied out of its (mapped) file; the file pages are released after. */
    public static HalfLinear of(SafeTensor t) {
        if (t.dtype() != DType.BF16 || t.shape().length != 2) {
            throw new JllmException("tensor '" + t.name() + "' is " + t.dtype() + " " + java.util.Arrays.toString(t.shape()) + ", expected a 2-D BF16 matrix");
        }
        return copy(t, DType.BF16);
    }

    /**
     * A 2-D tensor of any floating dtype in {@code format}: copied when it is stored so, else rounded to nearest even
     * element by element (as {@code tensor.to(torch.bfloat16)}), never through a float32 copy of the whole matrix.
     */
    public static HalfLinear of(SafeTensor t, DType format) {
        if (t.shape().length != 2) throw new JllmException("tensor '" + t.name() + "' has shape " + java.util.Arrays.toString(t.shape()) + ", expected a 2-D matrix");
        if (t.dtype() == format) return copy(t, format);
        int rows = Math.toIntExact(t.shape()[0]), cols = Math.toIntExact(t.shape()[1]);
        short[] bits = new short[Math.multiplyExact(rows, cols)];
        MemorySegment data = t.data();
        for (int i = 0; i < bits.length; i++) {
            float v = switch (t.dtype()) {
                case F32 -> data.get(F32, 4L * i);
                case BF16 -> DType.bf16ToFloat(data.get(I16, 2L * i));
                case F16 -> DType.f16ToFloat(data.get(I16, 2L * i));
                case F64 -> (float) data.get(F64, 8L * i);
                default -> throw new JllmException("tensor '" + t.name() + "' has dtype " + t.dtype() + ", expected a floating-point type");
            };
            bits[i] = encode(v, format);
        }
        if (t.data().isMapped()) t.data().unload();
        return new HalfLinear(bits, rows, cols, format);
    }

    private static HalfLinear copy(SafeTensor t, DType format) {
        short[] bits = new short[Math.toIntExact(t.elementCount())];
        MemorySegment.copy(t.data(), I16, 0, bits, 0, bits.length);
        if (t.data().isMapped()) t.data().unload();
        return new HalfLinear(bits, (int) t.shape()[0], Math.toIntExact(t.shape()[1]), format);
    }

    /** float32 values rounded to {@code format} (nearest even). */
    public static HalfLinear of(float[] values, int rows, int cols, DType format) {
        short[] bits = new short[values.length];
        for (int i = 0; i < bits.length; i++) bits[i] = encode(values[i], format);
        return new HalfLinear(bits, rows, cols, format);
    }

    static short encode(float v, DType format) {
        return format == DType.BF16 ? DType.floatToBf16(v) : DType.floatToF16(v);
    }

    private float value(int i) {
        return format == DType.BF16 ? Float.intBitsToFloat((bits[i] & 0xFFFF) << 16) : Float.float16ToFloat(bits[i]);
    }

    @Override
    public void gather(float[] y, int[] ids) {
        for (int t = 0; t < ids.length; t++) {
            int id = ids[t];
            if (id < 0 || id >= rows) throw new IllegalArgumentException("token id " + id + " at position " + t + " is outside the vocabulary [0, " + rows + ")");
            int src = id * cols, dst = t * cols;
            for (int c = 0; c < cols; c++) y[dst + c] = value(src + c);
        }
    }

    @Override
    public float[] dequantized() {
        float[] out = new float[bits.length];
        for (int i = 0; i < out.length; i++) out[i] = value(i);
        return out;
    }

    @Override
    public Gemm.PanelSource panels(boolean transposed) {
        return new HalfPanels(bits, rows, cols, transposed, format == DType.BF16 ? Precision.BF16 : Precision.FP16);
    }
}
