package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Parallel;

/**
 * {@code y = x·Wᵀ + b} over {@code rows} independent rows, W in {@code nn.Linear} layout {@code [out, in]}.
 * Backward accumulates ({@code +=}) into every gradient it is given; pass null for one that is not wanted.
 */
public final class Linear {
    private Linear() {}

    public static void forward(float[] y, float[] x, float[] w, float[] bias, int rows, int in, int out) {
        Gemm.gemm(false, true, rows, out, in, x, 0, w, 0, y, 0, false);                 // y = x·Wᵀ
        if (bias != null) addBias(y, bias, rows, out);
    }

    public static void backward(float[] dx, float[] dw, float[] dbias, float[] dy, float[] x, float[] w,
                                int rows, int in, int out) {
        backward(dx, dw, dbias, dy, x, w, rows, in, out, true);
    }

    /** As {@link #backward(float[], float[], float[], float[], float[], float[], int, int, int)}, overwriting dx unless {@code accumulateDx}. */
    public static void backward(float[] dx, float[] dw, float[] dbias, float[] dy, float[] x, float[] w,
                                int rows, int in, int out, boolean accumulateDx) {
        if (dx != null) Gemm.gemm(false, false, rows, in, out, dy, 0, w, 0, dx, 0, accumulateDx);  // dx[rows,in] (+)= dy·W
        if (dw != null) Gemm.gemm(true, false, out, in, rows, dy, 0, x, 0, dw, 0, true);   // dW[out,in] += dyᵀ·x
        if (dbias != null) biasGradient(dbias, dy, rows, out);
    }

    static void addBias(float[] y, float[] bias, int rows, int out) {
        Parallel.forRange(rows, 16, (w, r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * out;
                for (int j = 0; j < out; j++) y[o + j] += bias[j];
            }
        });
    }

    /** {@code dbias += Σ_rows dy}, summed in double per column (thousands of rows would lose float32 precision). */
    static void biasGradient(float[] dbias, float[] dy, int rows, int out) {
        Parallel.forRange(out, 64, (w, j0, j1) -> {
            double[] sum = new double[j1 - j0];
            for (int r = 0; r < rows; r++) {
                int o = r * out;
                for (int j = j0; j < j1; j++) sum[j - j0] += dy[o + j];
            }
            for (int j = j0; j < j1; j++) dbias[j] += (float) sum[j - j0];
        });
    }
}
