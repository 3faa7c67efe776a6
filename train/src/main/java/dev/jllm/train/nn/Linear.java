package dev.jllm.train.nn;

/**
 * {@code y = x·Wᵀ + b} over {@code rows} independent rows, W in {@code nn.Linear} layout {@code [out, in]}.
 * Backward accumulates ({@code +=}) into every gradient it is given; pass null for one that is not wanted.
 */
public final class Linear {
    private Linear() {}

    public static void forward(double[] y, double[] x, double[] w, double[] bias, int rows, int in, int out) {
        Matmul.nt(y, x, w, rows, out, in, false);
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                int o = r * out;
                for (int j = 0; j < out; j++) y[o + j] += bias[j];
            }
        }
    }

    public static void backward(double[] dx, double[] dw, double[] dbias, double[] dy, double[] x, double[] w,
                                int rows, int in, int out) {
        if (dx != null) Matmul.nn(dx, dy, w, rows, in, out, true);          // dx[rows,in] += dy[rows,out]·W[out,in]
        if (dw != null) Matmul.tn(dw, dy, x, out, in, rows, true);          // dW[out,in] += dyᵀ·x
        if (dbias != null) {
            for (int r = 0; r < rows; r++) {
                int o = r * out;
                for (int j = 0; j < out; j++) dbias[j] += dy[o + j];
            }
        }
    }
}
