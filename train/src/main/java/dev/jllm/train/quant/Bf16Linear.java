package dev.jllm.train.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;
import dev.jllm.train.nn.FrozenWeight;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A frozen base weight kept in bfloat16, two bytes per element: LoRA on a bf16 base. Both products run on core's
 * {@link Gemm} with the weight widened to float32 panel by panel while it is packed (bf16 to float32 is exact), so
 * no float32 copy of the matrix exists.
 *
 * @param bits  the bf16 bit patterns, row-major {@code [rows, cols]} ({@code [out, in]})
 */
public record Bf16Linear(short[] bits, int rows, int cols) implements FrozenWeight {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public Bf16Linear {
        if ((long) rows * cols != bits.length) throw new IllegalArgumentException("bf16 weight [" + rows + ", " + cols + "] needs " + (long) rows * cols + " values, got " + bits.length);
    }

    /** A 2-D BF16 safetensors tensor, copied out of its (mapped) file; the file pages are released after. */
    public static Bf16Linear of(SafeTensor t) {
        if (t.dtype() != DType.BF16 || t.shape().length != 2) {
            throw new JllmException("tensor '" + t.name() + "' is " + t.dtype() + " " + java.util.Arrays.toString(t.shape()) + ", expected a 2-D BF16 matrix");
        }
        short[] bits = new short[Math.toIntExact(t.elementCount())];
        MemorySegment.copy(t.data(), I16, 0, bits, 0, bits.length);
        if (t.data().isMapped()) t.data().unload();
        return new Bf16Linear(bits, (int) t.shape()[0], Math.toIntExact(t.shape()[1]));
    }

    private float value(int i) {
        return Float.intBitsToFloat((bits[i] & 0xFFFF) << 16);
    }

    @Override
    public void forward(float[] y, float[] x, int n) {
        Gemm.gemm(false, n, x, 0, panels(false), y, 0, false);
    }

    @Override
    public void inputGradient(float[] dx, float[] dy, int n, boolean accumulate) {
        Gemm.gemm(false, n, dy, 0, panels(true), dx, 0, accumulate);
    }

    @Override
    public float[] dequantized() {
        float[] out = new float[bits.length];
        for (int i = 0; i < out.length; i++) out[i] = value(i);
        return out;
    }

    /** {@code transposed == false}: B = W for {@code y = x·Wᵀ}; {@code true}: B = Wᵀ for {@code dx = dy·W}. */
    private Gemm.PanelSource panels(boolean transposed) {
        return new Gemm.ElementPanels(rows, cols, transposed) {
            @Override
            protected float value(int i) {
                return Bf16Linear.this.value(i);
            }
        };
    }
}
