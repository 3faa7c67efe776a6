package dev.jllm.core.tensor;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Parallel;

import java.lang.foreign.MemorySegment;

/**
 * What every storage type shares: shape checks, the row-parallel matvec and the GEMM-backed matmul whose B
 * panels come from {@link #dequantizeRange}. Subclasses supply the fused dot kernels.
 */
abstract sealed class AbstractWeights implements WeightMatrix, Gemm.PanelSource
        permits F32Weights, F16Weights, BF16Weights, Q8_0Weights, Q4_0Weights, Q4_1Weights, Q4_KWeights, Q5_KWeights,
        Q6_KWeights {
    /** Below this many multiply-adds a matvec runs on the calling thread: a hand-off costs more than it saves. */
    private static final long PARALLEL_MIN_WORK = 1 << 15;
    /**
     * Token counts up to this use one matvec per token: with so few rows of X, dequantizing and packing every weight
     * panel costs more than streaming the weights once per token.
     */
    int matvecMaxTokens() {
        return 3;
    }

    final MemorySegment data;
    final int rows, cols;
    final long rowBytes;

    AbstractWeights(MemorySegment data, int rows, int cols) {
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type().byteSize(cols);
    }

    @Override
    public final int rows() {
        return rows;
    }

    @Override
    public final int cols() {
        return cols;
    }

    @Override
    public final MemorySegment data() {
        return data;
    }

    @Override
    public final int n() {
        return rows;
    }

    @Override
    public final int k() {
        return cols;
    }

    @Override
    public int kGranule() {
        return type().blockSize();
    }

    @Override
    public String toString() {
        return type() + "[" + rows + ", " + cols + "]";
    }

    /** A GGML block decoder (the scalar reference dequantization of the block at {@code offset}). */
    @FunctionalInterface
    interface BlockDecoder {
        void dequantizeBlock(MemorySegment data, long offset, float[] dst, int dstOff);
    }

    /** Scalar reference path of the block types: dequantizes {@code blocks} consecutive blocks from {@code base}. */
    final void dequantizeBlocksScalar(BlockDecoder decoder, long base, int blocks, float[] dst, int dstOff) {
        int block = type().blockSize(), bytes = type().typeSize();
        for (int b = 0; b < blocks; b++) decoder.dequantizeBlock(data, base + (long) b * bytes, dst, dstOff + b * block);
    }

    /**
     * Scalar reference dot product of the row at {@code base}: dequantize one block at a time, then multiply-add in
     * float32. The vector kernels are tested against it; {@code -Djllm.vector=false} selects it.
     */
    final float dotBlocksScalar(BlockDecoder decoder, long base, float[] x, int xOff) {
        int block = type().blockSize(), bytes = type().typeSize();
        float[] w = new float[block];
        float sum = 0;
        for (int b = 0; b < cols / block; b++) {
            decoder.dequantizeBlock(data, base + (long) b * bytes, w, 0);
            int xb = xOff + b * block;
            for (int j = 0; j < block; j++) sum += w[j] * x[xb + j];
        }
        return sum;
    }

    /** Writes W[row, k0 .. k0+count) to dst; k0 and count are multiples of the block size (or reach the end). */
    abstract void dequantizeRange(int row, int k0, int count, float[] dst, int dstOff);

    /** y[r] for r in [r0, r1): the decode kernel; may prepare per-x data (block sums) once per call. */
    abstract void dotRows(int r0, int r1, float[] x, int xOff, float[] y, int yOff);

    /**
     * What a type's decode kernel derives from x before reading any row (activations reordered to its code layout,
     * block sums), made once per matvec rather than once per chunk of rows; null when the kernel needs nothing.
     */
    Object prepare(float[] x, int xOff) {
        return null;
    }

    /** {@link #dotRows} with the result of {@link #prepare} for the same x. */
    void dotRows(int r0, int r1, float[] x, int xOff, Object prepared, float[] y, int yOff) {
        dotRows(r0, r1, x, xOff, y, yOff);
    }

    @Override
    public void dequantizeRow(int row, float[] dst, int dstOff) {
        checkRow(row);
        dequantizeRange(row, 0, cols, dst, dstOff);
    }

    @Override
    public float dot(int row, float[] x, int xOff) {
        checkRow(row);
        checkVector(x, xOff, cols, "x");
        float[] y = new float[1];
        dotRows(row, row + 1, x, xOff, y, -row); // dotRows writes y[yOff + r]
        return y[0];
    }

    @Override
    public void matvec(float[] x, int xOff, float[] y, int yOff) {
        checkVector(x, xOff, cols, "x");
        checkVector(y, yOff, rows, "y");
        if ((long) rows * cols < PARALLEL_MIN_WORK) {
            dotRows(0, rows, x, xOff, y, yOff);
            return;
        }
        Object prepared = prepare(x, xOff);
        Parallel.forChunks(rows, matvecChunk(rows), (w, r0, r1) -> dotRows(r0, r1, x, xOff, prepared, y, yOff));
    }

    /**
     * Rows per chunk of a parallel matvec: about eight chunks per thread, so a thread that loses its core for a while
     * on a shared machine leaves its remaining chunks to the others, each a multiple of 16 rows (whole groups for
     * the multi-row kernels) and at least 64 rows so taking a chunk stays negligible next to streaming it.
     */
    private static int matvecChunk(int rows) {
        int perChunk = rows / (8 * Parallel.threads());
        return Math.max(64, (perChunk + 15) & ~15);
    }

    @Override
    public void matmul(float[] x, int xOff, int n, float[] y, int yOff) {
        if (n < 0) throw new JllmException("matmul: negative token count " + n);
        checkVector(x, xOff, (long) n * cols, "X");
        checkVector(y, yOff, (long) n * rows, "Y");
        if (n <= matvecMaxTokens()) {
            for (int t = 0; t < n; t++) matvec(x, xOff + t * cols, y, yOff + t * rows);
            return;
        }
        Gemm.sgemm(n, x, xOff, this, y, yOff);
    }

    /** Per-thread [NR, kc] block of dequantized rows on their way into a GEMM panel. */
    private static final ThreadLocal<float[]> ROW_BUFFER = new ThreadLocal<>();

    /** Dequantizes NR rows over [k0, k0+kc) and transposes them into a k-major GEMM panel. */
    @Override
    public void packPanel(int n0, int k0, int kc, float[] dst, int dstOff) {
        int nr = Gemm.NR;
        int valid = Math.min(nr, rows - n0);
        float[] block = ROW_BUFFER.get();
        if (block == null || block.length < nr * kc) ROW_BUFFER.set(block = new float[nr * kc]);
        for (int j = 0; j < valid; j++) dequantizeRange(n0 + j, k0, kc, block, j * kc);
        Gemm.packRows(block, 0, kc, valid, kc, dst, dstOff);
    }

    final void checkRow(int row) {
        if (row < 0 || row >= rows) throw new IndexOutOfBoundsException("row " + row + " of " + this);
    }

    final void checkVector(float[] v, int off, long len, String what) {
        if (off < 0 || off + len > v.length) {
            throw new JllmException(this + ": " + what + " needs " + len + " floats from offset " + off + ", array has " + v.length);
        }
    }
}
