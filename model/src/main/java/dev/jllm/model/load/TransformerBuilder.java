package dev.jllm.model.load;

import dev.jllm.core.tensor.WeightMatrix;
import dev.jllm.model.arch.DecoderLayer;
import dev.jllm.model.arch.FeedForward;
import dev.jllm.model.arch.Transformer;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.model.config.MoeConfig;

import java.util.ArrayList;
import java.util.List;

/** Assembles the {@link Transformer} a config describes from a tensor store, by Hugging Face parameter names. */
public final class TransformerBuilder {
    private TransformerBuilder() {}

    public static Transformer build(ModelConfig c, TensorStore store) {
        int hidden = c.hiddenSize();
        WeightMatrix embedding = store.matrix("model.embed_tokens.weight", c.vocabSize(), hidden);
        WeightMatrix output = c.tieWordEmbeddings() && !store.has("lm_head.weight")
                ? embedding
                : store.matrix("lm_head.weight", c.vocabSize(), hidden);
        List<DecoderLayer> layers = new ArrayList<>();
        for (int l = 0; l < c.numLayers(); l++) layers.add(layer(c, store, l));
        return new Transformer(c, embedding, layers, store.vector("model.norm.weight", hidden), output);
    }

    private static DecoderLayer layer(ModelConfig c, TensorStore s, int l) {
        String p = "model.layers." + l + ".";
        int hidden = c.hiddenSize();
        int qDim = c.queryDim();
        int kvDim = c.kvDim();
        String a = p + "self_attn.";
        FeedForward ffn;
        if (c.isMoe() && c.moe().isSparse(l)) {
            MoeConfig m = c.moe();
            boolean mixtral = m.naming() == MoeConfig.Naming.MIXTRAL;
            String base = p + (mixtral ? "block_sparse_moe." : "mlp.");
            FeedForward.Dense[] experts = new FeedForward.Dense[m.numExperts()];
            int inter = m.expertIntermediateSize();
            for (int e = 0; e < experts.length; e++) {
                String ep = base + "experts." + e + ".";
                experts[e] = new FeedForward.Dense(
                        s.matrix(ep + (mixtral ? "w1" : "gate_proj") + ".weight", inter, hidden),
                        s.matrix(ep + (mixtral ? "w3" : "up_proj") + ".weight", inter, hidden),
                        s.matrix(ep + (mixtral ? "w2" : "down_proj") + ".weight", hidden, inter),
                        null, null, null);
            }
            ffn = new FeedForward.Sparse(s.matrix(base + "gate.weight", m.numExperts(), hidden), experts,
                    m.expertsPerToken(), m.normalizeTopK());
        } else {
            int inter = c.intermediateSize();
            String m = p + "mlp.";
            ffn = new FeedForward.Dense(
                    s.matrix(m + "gate_proj.weight", inter, hidden),
                    s.matrix(m + "up_proj.weight", inter, hidden),
                    s.matrix(m + "down_proj.weight", hidden, inter),
                    c.mlpBias() ? s.vector(m + "gate_proj.bias", inter) : null,
                    c.mlpBias() ? s.vector(m + "up_proj.bias", inter) : null,
                    c.mlpBias() ? s.vector(m + "down_proj.bias", hidden) : null);
        }
        return new DecoderLayer(
                s.vector(p + "input_layernorm.weight", hidden),
                s.matrix(a + "q_proj.weight", qDim, hidden),
                s.matrix(a + "k_proj.weight", kvDim, hidden),
                s.matrix(a + "v_proj.weight", kvDim, hidden),
                s.matrix(a + "o_proj.weight", hidden, qDim),
                c.qkvBias() ? s.vector(a + "q_proj.bias", qDim) : null,
                c.qkvBias() ? s.vector(a + "k_proj.bias", kvDim) : null,
                c.qkvBias() ? s.vector(a + "v_proj.bias", kvDim) : null,
                c.outputBias() ? s.vector(a + "o_proj.bias", hidden) : null,
                c.qkNorm() ? s.vector(a + "q_norm.weight", c.headDim()) : null,
                c.qkNorm() ? s.vector(a + "k_norm.weight", c.headDim()) : null,
                s.vector(p + "post_attention_layernorm.weight", hidden),
                ffn,
                c.slidingWindow(l));
    }
}
