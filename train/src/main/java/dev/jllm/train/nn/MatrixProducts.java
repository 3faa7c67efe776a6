package dev.jllm.train.nn;

/**
 * A weight matrix {@code W [out, in]} that computes its own two products, whatever it is stored as (4-bit, 8-bit,
 * a 16-bit copy of a float32 master). The loss and the layers call these instead of packing float32 values.
 */
public interface MatrixProducts {
    /** {@code y[rows, out] = x[rows, in] · Wᵀ} (overwrites y). */
    void forward(float[] y, float[] x, int rows);

    /** {@code dx[rows, in] += dy[rows, out] · W}, or {@code =} when not {@code accumulate}. */
    void inputGradient(float[] dx, float[] dy, int rows, boolean accumulate);
}
