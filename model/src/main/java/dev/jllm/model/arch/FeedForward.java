package dev.jllm.model.arch;

import dev.jllm.core.tensor.WeightMatrix;

/** The MLP half of a decoder layer: one SwiGLU MLP, or a routed set of them. */
public sealed interface FeedForward {

    /** {@code down(silu(gate(x)) * up(x))}; biases are null when the checkpoint has none. */
    record Dense(WeightMatrix gate, WeightMatrix up, WeightMatrix down, float[] gateBias, float[] upBias, float[] downBias)
            implements FeedForward {
        public int intermediateSize() {
            return gate.rows();
        }
    }

    /**
     * Sparse mixture of experts: {@code p = softmax(router(x))}, the {@code topK} largest chosen, their weights
     * renormalized to sum to 1 when {@code normalizeTopK}, output {@code sum w_e * expert_e(x)}.
     */
    record Sparse(WeightMatrix router, Dense[] experts, int topK, boolean normalizeTopK) implements FeedForward {}
}
