package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.train.precision.Precision;

/**
 * The 16-bit copy of a float32 master weight {@code [rows, cols]} that a bf16/fp16 model multiplies with (autocast's
 * weight cast). It is made from the master on first use and kept until {@link #invalidate} (the optimizer changed the
 * master), so a step's forward, backward and any checkpointing recompute all read one copy made once per update,
 * not one per product. The products widen it to float32 panel by panel while packing (exact), so no float32 copy of
 * the rounded matrix exists: the copy costs two bytes per weight.
 */
public final class CastWeight implements MatrixProducts {
    private final Parameter master;
    private final Precision precision;
    private final int rows, cols;
    private short[] bits;
    private boolean stale = true;

    public CastWeight(Parameter master, Precision precision) {
        if (!precision.reduced()) throw new IllegalArgumentException("a cast weight needs a 16-bit precision, got " + precision);
        int[] shape = master.shape();
        if (shape.length != 2) throw new IllegalArgumentException(master.name() + ": only a 2-D weight is cast");
        this.master = master;
        this.precision = precision;
        this.rows = shape[0];
        this.cols = shape[1];
    }

    public Precision precision() {
        return precision;
    }

    /** The master changed: the next product re-rounds it. */
    public void invalidate() {
        stale = true;
    }

    /** The 16-bit patterns, row-major, rounded from the master now if it changed since the last call. */
    short[] bits() {
        if (stale) {
            if (bits == null) bits = new short[rows * cols];
            precision.encode(master.value(), 0, bits, 0, rows * cols);
            stale = false;
        }
        return bits;
    }

    /** {@code y[n, rows] = x[n, cols] · W16ᵀ} (overwrites y). */
    @Override
    public void forward(float[] y, float[] x, int n) {
        Gemm.gemm(false, n, x, 0, panels(false), y, 0, false);
    }

    /** {@code dx[n, cols] (+)= dy[n, rows] · W16}. */
    @Override
    public void inputGradient(float[] dx, float[] dy, int n, boolean accumulate) {
        Gemm.gemm(false, n, dy, 0, panels(true), dx, 0, accumulate);
    }

    /** {@code transposed == false}: B = W for {@code x·Wᵀ}; {@code true}: B = Wᵀ for {@code dy·W}. */
    private Gemm.PanelSource panels(boolean transposed) {
        return new Panels(bits(), transposed);
    }

    /** Per packing thread: NR rows of W widened to float32, which core's register-transposing packer then packs. */
    private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Panels of the 16-bit matrix, widened a row segment at a time with vector instructions (an element-by-element
     * packer cost a fifth of a small model's step): B = Wᵀ reads rows of W that are already the panel's k-rows; B = W
     * widens NR rows into a float32 tile and lets {@link Gemm#packRows} transpose it in registers.
     */
    private final class Panels implements Gemm.PanelSource {
        private final short[] b;
        private final boolean transposed;

        Panels(short[] b, boolean transposed) {
            this.b = b;
            this.transposed = transposed;
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
                    precision.widen(b, (k0 + kk) * cols + n0, dst, d, width);
                    if (width < Gemm.NR) java.util.Arrays.fill(dst, d + width, d + Gemm.NR, 0f);
                }
            } else {
                float[] tile = ROWS.get();
                if (tile.length < Gemm.NR * kc) ROWS.set(tile = new float[Gemm.NR * kc]);
                for (int j = 0; j < width; j++) precision.widen(b, (n0 + j) * cols + k0, tile, j * kc, kc);
                Gemm.packRows(tile, 0, kc, width, kc, dst, dstOff);
            }
        }
    }

    /** Bytes the copy holds. */
    public long bytes() {
        return bits == null ? 0 : 2L * bits.length;
    }
}
