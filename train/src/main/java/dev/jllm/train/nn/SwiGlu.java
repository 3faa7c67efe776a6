package dev.jllm.train.nn;

/** The gated activation of Llama's MLP: {@code a = silu(g) · u} with {@code silu(g) = g·σ(g)}. */
public final class SwiGlu {
    private SwiGlu() {}

    public static void forward(double[] a, double[] g, double[] u, int n) {
        for (int i = 0; i < n; i++) {
            double sig = sigmoid(g[i]);
            a[i] = g[i] * sig * u[i];
        }
    }

    /** {@code silu'(g) = σ(g)·(1 + g·(1 − σ(g)))}; accumulates into dg and du. */
    public static void backward(double[] dg, double[] du, double[] da, double[] g, double[] u, int n) {
        for (int i = 0; i < n; i++) {
            double sig = sigmoid(g[i]);
            double silu = g[i] * sig;
            du[i] += da[i] * silu;
            dg[i] += da[i] * u[i] * sig * (1 + g[i] * (1 - sig));
        }
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
