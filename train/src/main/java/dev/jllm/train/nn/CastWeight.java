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
public final class CastWeight implements MatrixProducts.Paneled {
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

    /** The 16-bit copy's panels ({@code y = x·W16ᵀ}, {@code dx = dy·W16}), rounded from the master first if it changed. */
    @Override
    public Gemm.PanelSource panels(boolean transposed) {
        return new HalfPanels(bits(), rows, cols, transposed, precision);
    }

    /** Bytes the copy holds. */
    public long bytes() {
        return bits == null ? 0 : 2L * bits.length;
    }
}
