package dev.jllm.train.nn;

/**
 * Llama/Qwen RMSNorm over the last {@code dim} values of each row: {@code y = w · x / sqrt(mean(x²) + eps)}.
 * Forward keeps the per-row reciprocal {@code rstd} so backward needs no second pass over the statistics.
 */
public final class RmsNorm {
    private RmsNorm() {}

    public static void forward(double[] y, double[] rstd, double[] x, double[] w, int rows, int dim, double eps) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += x[o + i] * x[o + i];
            double s = 1.0 / Math.sqrt(ss / dim + eps);
            rstd[r] = s;
            for (int i = 0; i < dim; i++) y[o + i] = w[i] * (x[o + i] * s);
        }
    }

    /**
     * With {@code n = x·s}: {@code dw += dy·n}, and {@code dx = s·(w·dy) − s·n·mean(w·dy·n)}, the second term
     * being the gradient through {@code s}.
     */
    public static void backward(double[] dx, double[] dw, double[] dy, double[] x, double[] w, double[] rstd,
                                int rows, int dim) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            double s = rstd[r];
            double dot = 0;
            for (int i = 0; i < dim; i++) {
                double n = x[o + i] * s;
                dot += w[i] * dy[o + i] * n;
                if (dw != null) dw[i] += dy[o + i] * n;
            }
            double mean = dot / dim;
            if (dx != null) {
                for (int i = 0; i < dim; i++) dx[o + i] += s * (w[i] * dy[o + i] - x[o + i] * s * mean);
            }
        }
    }
}
