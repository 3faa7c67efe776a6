package dev.jllm.train.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;

/**
 * The sizes of a Llama-style model to pretrain, written out as the {@code config.json} transformers'
 * {@code LlamaConfig} would save ({@code LlamaForCausalLM}, SiLU, RMSNorm, RoPE, no biases).
 */
public record ModelShape(int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
                         int numKeyValueHeads, int maxPositionEmbeddings, double ropeTheta, double rmsNormEps,
                         boolean tieWordEmbeddings, double initializerRange) {
    public ModelShape {
        if (hiddenSize <= 0 || intermediateSize <= 0 || numHiddenLayers <= 0 || numAttentionHeads <= 0 || numKeyValueHeads <= 0
                || maxPositionEmbeddings <= 0) {
            throw new JllmException("model sizes must be positive: hidden " + hiddenSize + ", intermediate " + intermediateSize
                    + ", layers " + numHiddenLayers + ", heads " + numAttentionHeads + "/" + numKeyValueHeads + ", positions " + maxPositionEmbeddings);
        }
        if (hiddenSize % numAttentionHeads != 0) throw new JllmException("hidden size " + hiddenSize + " is not divisible by " + numAttentionHeads + " heads");
        if (numAttentionHeads % numKeyValueHeads != 0) throw new JllmException(numAttentionHeads + " heads are not a multiple of " + numKeyValueHeads + " key/value heads");
        if ((hiddenSize / numAttentionHeads) % 2 != 0) throw new JllmException("head dimension " + hiddenSize / numAttentionHeads + " must be even for RoPE");
        if (!(initializerRange > 0)) throw new JllmException("initializer_range must be > 0, got " + initializerRange);
    }

    public ObjectNode toConfigJson(int vocabSize, int bosTokenId, int eosTokenId) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.putArray("architectures").add("LlamaForCausalLM");
        n.put("model_type", "llama");
        n.put("hidden_act", "silu");
        n.put("hidden_size", hiddenSize);
        n.put("intermediate_size", intermediateSize);
        n.put("num_hidden_layers", numHiddenLayers);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("num_key_value_heads", numKeyValueHeads);
        n.put("head_dim", hiddenSize / numAttentionHeads);
        n.put("max_position_embeddings", maxPositionEmbeddings);
        n.put("rope_theta", ropeTheta);
        n.put("rms_norm_eps", rmsNormEps);
        n.put("tie_word_embeddings", tieWordEmbeddings);
        n.put("initializer_range", initializerRange);
        n.put("attention_bias", false);
        n.put("mlp_bias", false);
        n.put("vocab_size", vocabSize);
        n.put("bos_token_id", bosTokenId);
        n.put("eos_token_id", eosTokenId);
        n.put("torch_dtype", "float32");
        n.put("use_cache", true);
        return n;
    }
}
