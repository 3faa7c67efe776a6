package dev.jllm.model.config;

import java.util.Set;

/**
 * Sparse mixture-of-experts settings.
 *
 * @param numExperts            experts per sparse layer
 * @param expertsPerToken       top-k
 * @param normalizeTopK         renormalize the chosen experts' softmax probabilities to sum to 1 (Mixtral always;
 *                              Qwen3-MoE only with {@code norm_topk_prob}); otherwise they keep their full-softmax values
 * @param expertIntermediateSize hidden width of one expert's MLP
 * @param sparseLayers          indices of the layers that use experts; the others use the dense MLP
 * @param naming                tensor naming scheme of the checkpoint family
 */
public record MoeConfig(int numExperts, int expertsPerToken, boolean normalizeTopK, int expertIntermediateSize,
                        Set<Integer> sparseLayers, Naming naming) {

    /** Hugging Face tensor names differ between the two MoE families. */
    public enum Naming {
        /** {@code block_sparse_moe.gate}, {@code block_sparse_moe.experts.E.w1/w2/w3}. */
        MIXTRAL,
        /** {@code mlp.gate}, {@code mlp.experts.E.gate_proj/up_proj/down_proj}. */
        QWEN
    }

    public MoeConfig {
        sparseLayers = Set.copyOf(sparseLayers);
    }

    public boolean isSparse(int layer) {
        return sparseLayers.contains(layer);
    }
}
