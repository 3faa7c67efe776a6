package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.train.precision.Precision;

/**
 * GEMM panels of a row-major 16-bit matrix {@code W [rows, cols]} (bf16 or fp16 patterns), widened to float32 a row
 * segment at a time with vector instructions while they are packed (exact for both formats), so no float32 copy of
 * the matrix exists. {@code transposed == false} gives B = W for {@code x·Wᵀ}; {@code true} gives B = Wᵀ for
 * {@code dy·W}. B = Wᵀ reads rows of W that are already the panel's k-rows; B = W widens NR rows into a float32 tile
 * and lets {@link Gemm#packRows} transpose it in registers (an element-by-element packer cost a fifth of a small
 * model's step).
 */
public final class HalfPanels implements Gemm.PanelSource {
    /** Per packing thread: NR rows of W widened to float32. */
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);

    private final short[] bits;
    private final int rows, cols;
    private final boolean transposed;
    private final Precision format;

    public HalfPanels(short[] bits, int rows, int cols, boolean transposed, Precision format) {
        if (!format.reduced()) throw new IllegalArgumentException("16-bit panels need bf16 or fp16, got " + format);
        this.bits = bits;
        this.rows = rows;
        this.cols = cols;
        this.transposed = transposed;
        this.format = format;
    }

    @Override
    public int n() {
        return transposed ? cols : rows;
    }

    @Override
    public int k() {
        return transposed ? rows : cols;
    }

    @Override
    public void packPanel(int n0, int k0, int kc, float[] dst, int dstOff) {
        int width = Math.min(Gemm.NR, n() - n0);
        if (transposed) {
            for (int kk = 0; kk < kc; kk++) {
                int d = dstOff + kk * Gemm.NR;
                format.widen(bits, (k0 + kk) * cols + n0, dst, d, width);
                if (width < Gemm.NR) java.util.Arrays.fill(dst, d + width, d + Gemm.NR, 0f);
            }
        } else {
            float[] tile = ROWS.get();
            if (tile.length < Gemm.NR * kc) ROWS.set(tile = new float[Gemm.NR * kc]);
            for (int j = 0; j < width; j++) format.widen(bits, (n0 + j) * cols + k0, tile, j * kc, kc);
            Gemm.packRows(tile, 0, kc, width, kc, dst, dstOff);
        }
    }
}
