package dev.jllm.model.arch;

import dev.jllm.core.tensor.WeightMatrix;

/**
 * One pre-norm decoder block's weights. Optional parts (biases, q/k norms) are null when the architecture has none.
 *
 * @param slidingWindow 0 for full causal attention
 */
public record DecoderLayer(
        float[] attentionNorm,
        WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o,
        float[] qBias, float[] kBias, float[] vBias, float[] oBias,
        float[] qNorm, float[] kNorm,
        float[] ffnNorm,
        FeedForward ffn,
        int slidingWindow) {
}
