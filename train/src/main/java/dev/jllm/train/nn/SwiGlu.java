package dev.jllm.train.nn;

import dev.jllm.core.kernel.Parallel;

/** The gated activation of Llama's MLP: {@code a = silu(g) · u} with {@code silu(g) = g·σ(g)}. */
public final class SwiGlu {
    /** Elements per parallel grain; the exponentials make this worth spreading over the cores. */
    private static final int GRAIN = 1 << 12;

    private SwiGlu() {}

    public static void forward(float[] a, float[] g, float[] u, int n) {
        Parallel.forRange(n, GRAIN, (w, i0, i1) -> {
            for (int i = i0; i < i1; i++) a[i] = g[i] * sigmoid(g[i]) * u[i];
        });
    }

    /** {@code silu'(g) = σ(g)·(1 + g·(1 − σ(g)))}; accumulates into dg and du. */
    public static void backward(float[] dg, float[] du, float[] da, float[] g, float[] u, int n) {
        Parallel.forRange(n, GRAIN, (w, i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                float sig = sigmoid(g[i]);
                du[i] += da[i] * g[i] * sig;
                dg[i] += da[i] * u[i] * sig * (1 + g[i] * (1 - sig));
            }
        });
    }

    private static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }
}
