package dev.jllm.train.nn;

import dev.jllm.core.kernel.Activations;
import dev.jllm.core.kernel.Exp;
import dev.jllm.core.kernel.Parallel;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The gated activation of Llama's MLP: {@code a = silu(g) · u} with {@code silu(g) = g·σ(g)}. */
public final class SwiGlu {
    /** Elements per parallel grain; the exponentials make this worth spreading over the cores. */
    private static final int GRAIN = 1 << 12;
    private static final VectorSpecies<Float> F = VectorMath.species();

    private SwiGlu() {}

    /** {@code a = silu(g) · u}: the inference runtime's {@link Activations#swiglu}, spread over the cores. */
    public static void forward(float[] a, float[] g, float[] u, int n) {
        Parallel.forRange(n, GRAIN, (w, i0, i1) -> Activations.swiglu(g, u, a, i0, i1));
    }

    /**
     * {@code silu'(g) = σ(g)·(1 + g·(1 − σ(g)))}; writes dg and du. Each element is read before it is written, so
     * {@code dg}, {@code du} may be {@code g}, {@code u} or {@code da} themselves (in place, saving two buffers).
     */
    public static void backward(float[] dg, float[] du, float[] da, float[] g, float[] u, int n) {
        Parallel.forRange(n, GRAIN, (w, i0, i1) -> {
            int i = i0;
            FloatVector one = FloatVector.broadcast(F, 1f);
            for (; i + F.length() <= i1; i += F.length()) {
                FloatVector gv = FloatVector.fromArray(F, g, i), dav = FloatVector.fromArray(F, da, i), uv = FloatVector.fromArray(F, u, i);
                FloatVector sig = VectorMath.sigmoid(gv);
                dav.mul(gv).mul(sig).intoArray(du, i);
                FloatVector dsilu = sig.mul(one.add(gv.mul(one.sub(sig))));
                dav.mul(uv).mul(dsilu).intoArray(dg, i);
            }
            for (; i < i1; i++) {
                float gi = g[i], ui = u[i], dai = da[i];
                float sig = sigmoid(gi);
                du[i] = dai * gi * sig;
                dg[i] = dai * ui * sig * (1 + gi * (1 - sig));
            }
        });
    }

    private static float sigmoid(float x) {
        return 1f / (1f + Exp.exp(-x));  // the scalar twin of VectorMath.sigmoid
    }
}
