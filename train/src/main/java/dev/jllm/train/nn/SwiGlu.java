package dev.jllm.train.nn;

import java.util.stream.IntStream;

/** The gated activation of Llama's MLP: {@code a = silu(g) · u} with {@code silu(g) = g·σ(g)}. */
public final class SwiGlu {
    /** Elements per parallel task; the exponentials make this worth spreading over the cores. */
    private static final int BLOCK = 1 << 14;

    private SwiGlu() {}

    public static void forward(double[] a, double[] g, double[] u, int n) {
        IntStream.range(0, (n + BLOCK - 1) / BLOCK).parallel().forEach(blk -> {
            for (int i = blk * BLOCK, end = Math.min(n, i + BLOCK); i < end; i++) {
                a[i] = g[i] * sigmoid(g[i]) * u[i];
            }
        });
    }

    /** {@code silu'(g) = σ(g)·(1 + g·(1 − σ(g)))}; accumulates into dg and du. */
    public static void backward(double[] dg, double[] du, double[] da, double[] g, double[] u, int n) {
        IntStream.range(0, (n + BLOCK - 1) / BLOCK).parallel().forEach(blk -> {
            for (int i = blk * BLOCK, end = Math.min(n, i + BLOCK); i < end; i++) {
                double sig = sigmoid(g[i]);
                du[i] += da[i] * g[i] * sig;
                dg[i] += da[i] * u[i] * sig * (1 + g[i] * (1 - sig));
            }
        });
    }

    private static double sigmoid(double x) {
        return 1.0 / (1.0 + Math.exp(-x));
    }
}
