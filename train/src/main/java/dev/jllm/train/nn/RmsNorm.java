package dev.jllm.train.nn;

import dev.jllm.core.kernel.Parallel;

/**
 * Llama/Qwen RMSNorm over the last {@code dim} values of each row: {@code y = w · x / sqrt(mean(x²) + eps)}.
 * Forward keeps the per-row reciprocal {@code rstd} so backward needs no second pass over the statistics. Sums of
 * squares and the backward's dot products accumulate in double; rows are spread over the cores.
 */
public final class RmsNorm {
    /** Rows per parallel grain: small enough to balance, large enough that a hidden-size row pays for the hand-off. */
    private static final int GRAIN = 16;

    private RmsNorm() {}

    public static void forward(float[] y, float[] rstd, float[] x, float[] w, int rows, int dim, double eps) {
        Parallel.forRange(rows, GRAIN, (worker, r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                double ss = 0;
                for (int i = 0; i < dim; i++) ss += (double) x[o + i] * x[o + i];
                float s = (float) (1.0 / Math.sqrt(ss / dim + eps));
                rstd[r] = s;
                for (int i = 0; i < dim; i++) y[o + i] = w[i] * (x[o + i] * s);
            }
        });
    }

    /**
     * With {@code n = x·s}: {@code dw += dy·n}, and {@code dx += s·(w·dy) − s·n·mean(w·dy·n)}, the second term
     * being the gradient through {@code s}. Each worker sums its rows' {@code dw} share in double; the shares are
     * added in worker order, so the result does not depend on timing.
     */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, float[] rstd,
                                int rows, int dim) {
        int threads = Parallel.threads();
        double[][] dwPart = dw == null ? null : new double[threads][];
        Parallel.forRange(rows, GRAIN, (worker, r0, r1) -> {
            double[] part = dw == null ? null : new double[dim];
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                float s = rstd[r];
                double dot = 0;
                for (int i = 0; i < dim; i++) {
                    float n = x[o + i] * s;
                    dot += (double) (w[i] * dy[o + i]) * n;
                    if (part != null) part[i] += (double) dy[o + i] * n;
                }
                float mean = (float) (dot / dim);
                if (dx != null) {
                    for (int i = 0; i < dim; i++) dx[o + i] += s * (w[i] * dy[o + i] - x[o + i] * s * mean);
                }
            }
            if (part != null) dwPart[worker] = part;
        });
        if (dw != null) {
            for (double[] part : dwPart) {
                if (part == null) continue;
                for (int i = 0; i < dim; i++) dw[i] += (float) part[i];
            }
        }
    }
}
