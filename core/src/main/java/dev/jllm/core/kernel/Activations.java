package dev.jllm.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The gated activation of Llama's MLP, one implementation for inference ({@code model}) and training ({@code train}). */
public final class Activations {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private Activations() {}

    /**
     * {@code out[i] = silu(g[i]) · u[i]} over {@code [from, to)}, {@code silu(g) = g / (1 + e^−g)} as PyTorch's CPU
     * kernel forms it; {@code out} may be {@code g}. The scalar tail does the vector body's operations lane for lane,
     * with {@link Exp}, which rounds alike in both, so an element's value does not depend on where it falls.
     */
    public static void swiglu(float[] g, float[] u, float[] out, int from, int to) {
        int i = from;
        if (Simd.enabled()) {
            FloatVector one = FloatVector.broadcast(F, 1f);
            for (int bound = from + F.loopBound(to - from); i < bound; i += F.length()) {
                FloatVector gv = FloatVector.fromArray(F, g, i);
                gv.div(Exp.exp(gv.neg()).add(one)).mul(FloatVector.fromArray(F, u, i)).intoArray(out, i);
            }
        }
        for (; i < to; i++) {
            float gi = g[i];
            out[i] = gi / (Exp.exp(-gi) + 1f) * u[i];
        }
    }
}
