package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;

/**
 * A weight matrix {@code W [out, in]} that computes its own two products, whatever it is stored as (4-bit, 8-bit,
 * a 16-bit copy of a float32 master). The loss and the layers call these instead of packing float32 values.
 */
public interface MatrixProducts {
    /** {@code y[rows, out] = x[rows, in] · Wᵀ} (overwrites y). */
    void forward(float[] y, float[] x, int rows);

    /** {@code dx[rows, in] += dy[rows, out] · W}, or {@code =} when not {@code accumulate}. */
    void inputGradient(float[] dx, float[] dy, int rows, boolean accumulate);

    /** A matrix whose two products are core GEMMs over panels it fills itself (widened, decoded). */
    interface Paneled extends MatrixProducts {
        /** {@code transposed == false}: B = W for {@code x·Wᵀ}; {@code true}: B = Wᵀ for {@code dy·W}. */
        Gemm.PanelSource panels(boolean transposed);

        @Override
        default void forward(float[] y, float[] x, int rows) {
            Gemm.gemm(false, rows, x, 0, panels(false), y, 0, false);
        }

        @Override
        default void inputGradient(float[] dx, float[] dy, int rows, boolean accumulate) {
            Gemm.gemm(false, rows, dy, 0, panels(true), dx, 0, accumulate);
        }
    }
}
