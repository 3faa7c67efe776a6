package dev.jllm.core.tensor;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;

import java.lang.foreign.MemorySegment;

/**
 * A weight matrix in {@code nn.Linear} layout ({@code [rows = out features, cols = in features]}, row-major),
 * computed on in place from its storage (a memory-mapped file region or a heap segment): quantized and 16-bit
 * types are decoded in registers inside the kernels, never expanded to float32 in memory.
 *
 * <p>{@link #matvec} (decode) is split over rows across {@link dev.jllm.core.kernel.Parallel}'s threads;
 * {@link #matmul} (prefill, batches) goes through the blocked, packed SGEMM of {@link dev.jllm.core.kernel.Gemm},
 * dequantizing weight panels on the fly.
 *
 * <p>There is one final class per storage type: {@link F32Weights}, {@link F16Weights}, {@link BF16Weights},
 * {@link Q8_0Weights}, {@link Q4_0Weights}, {@link Q4_1Weights}, {@link Q4_KWeights}, {@link Q5_KWeights},
 * {@link Q6_KWeights} (a switch over these is exhaustive).
 */
public sealed interface WeightMatrix permits AbstractWeights {

    int rows();

    int cols();

    /** The storage type, as a GGML type (F32, F16 and BF16 included). */
    GgmlType type();

    /** The raw storage, {@code type().byteSize(rows*cols)} bytes. */
    MemorySegment data();

    /** y[r] = Σ_c W[r,c]·x[c] for every row. */
    default void matvec(float[] x, float[] y) {
        matvec(x, 0, y, 0);
    }

    void matvec(float[] x, int xOff, float[] y, int yOff);

    /** Y[t, r] = Σ_c W[r,c]·X[t,c]: X is [n, cols] row-major, Y is [n, rows] row-major. */
    default void matmul(float[] x, int n, float[] y) {
        matmul(x, 0, n, y, 0);
    }

    void matmul(float[] x, int xOff, int n, float[] y, int yOff);

    /** Σ_c W[row,c]·x[xOff + c]. */
    float dot(int row, float[] x, int xOff);

    /** Writes row {@code row} as float32 into {@code dst[dstOff .. dstOff+cols)}, bit-exact with ggml. */
    void dequantizeRow(int row, float[] dst, int dstOff);

    static WeightMatrix of(GgmlType type, MemorySegment data, int rows, int cols) {
        if (rows <= 0 || cols <= 0) {
            throw new JllmException("weight matrix of " + type + " must have positive shape, got [" + rows + ", " + cols + "]");
        }
        if (cols % type.blockSize() != 0) {
            throw new JllmException("weight matrix of " + type + " [" + rows + ", " + cols + "]: columns must be a multiple of the block size " + type.blockSize());
        }
        long need = type.byteSize((long) rows * cols);
        if (data.byteSize() < need) {
            throw new JllmException("weight matrix of " + type + " [" + rows + ", " + cols + "] needs " + need + " bytes, storage has " + data.byteSize());
        }
        MemorySegment d = data.byteSize() == need ? data : data.asSlice(0, need);
        return switch (type) {
            case F32 -> new F32Weights(d, rows, cols);
            case F16 -> new F16Weights(d, rows, cols);
            case BF16 -> new BF16Weights(d, rows, cols);
            case Q8_0 -> new Q8_0Weights(d, rows, cols);
            case Q4_0 -> new Q4_0Weights(d, rows, cols);
            case Q4_1 -> new Q4_1Weights(d, rows, cols);
            case Q4_K -> new Q4_KWeights(d, rows, cols);
            case Q5_K -> new Q5_KWeights(d, rows, cols);
            case Q6_K -> new Q6_KWeights(d, rows, cols);
            default -> throw new JllmException("GGML type " + type + " is not supported for weight matrices (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q4_K, Q5_K, Q6_K)");
        };
    }

    static WeightMatrix of(DType type, MemorySegment data, int rows, int cols) {
        return switch (type) {
            case F32 -> of(GgmlType.F32, data, rows, cols);
            case F16 -> of(GgmlType.F16, data, rows, cols);
            case BF16 -> of(GgmlType.BF16, data, rows, cols);
            default -> throw new JllmException("dtype " + type + " is not supported for weight matrices (supported: F32, F16, BF16)");
        };
    }

    /** A heap F32 matrix over a copy-free view of {@code values} ([rows, cols] row-major). */
    static WeightMatrix ofFloats(float[] values, int rows, int cols) {
        return of(GgmlType.F32, MemorySegment.ofArray(values), rows, cols);
    }
}
