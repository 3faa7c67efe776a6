package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.train.precision.Precision;

/**
 * GEMM panels of a row-major 16-bit matrix {@code W [rows, cols]} (bf16 or fp16 patterns), widened to float32 a row
 * segment at a time with vector instructions while they are packed (exact for both formats), so no float32 copy of
 * the matrix exists. An element-by-element packer cost a fifth of a small model's step.
 */
public final class HalfPanels extends Gemm.SegmentPanels {
    private final short[] bits;
    private final Precision format;

    public HalfPanels(short[] bits, int rows, int cols, boolean transposed, Precision format) {
        super(rows, cols, transposed);
        if (!format.reduced()) throw new IllegalArgumentException("16-bit panels need bf16 or fp16, got " + format);
        this.bits = bits;
        this.format = format;
    }

    @Override
    protected void segment(int from, int n, float[] dst, int dOff) {
        format.widen(bits, from, dst, dOff, n);
    }
}
