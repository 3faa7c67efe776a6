package dev.jllm.model.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;

import java.util.List;

/** Writes a {@link ModelConfig} back as a Hugging Face {@code config.json} object (transformers 4.x key names). */
public final class ConfigJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigJson() {}

    /**
     * The config.json object for {@code c}. {@code dtype} is the {@code torch_dtype} to declare ("float32",
     * "float16", "bfloat16").
     */
    public static ObjectNode toJson(ModelConfig c, String dtype) {
        Family family = c.family();
        boolean windowed = c.slidingWindows().stream().anyMatch(w -> w > 0);
        if (family == Family.LLAMA && windowed) family = Family.MISTRAL;  // HF Llama has no sliding window
        ObjectNode o = JSON.createObjectNode();
        o.putArray("architectures").add(family.architecture());
        o.put("model_type", family.modelType());
        o.put("vocab_size", c.vocabSize());
        o.put("hidden_size", c.hiddenSize());
        o.put("intermediate_size", c.intermediateSize());
        o.put("num_hidden_layers", c.numLayers());
        o.put("num_attention_heads", c.numHeads());
        o.put("num_key_value_heads", c.numKvHeads());
        o.put("head_dim", c.headDim());
        o.put("hidden_act", "silu");
        o.put("rms_norm_eps", c.rmsNormEps());
        o.put("rope_theta", c.ropeTheta());
        switch (c.ropeScaling()) {
            case RopeScaling.None n -> o.putNull("rope_scaling");
            case RopeScaling.Linear(double f) -> o.putObject("rope_scaling").put("rope_type", "linear").put("factor", f);
            case RopeScaling.Dynamic(double f) -> o.putObject("rope_scaling").put("rope_type", "dynamic").put("factor", f);
            case RopeScaling.Llama3 l -> o.putObject("rope_scaling").put("rope_type", "llama3").put("factor", l.factor())
                    .put("low_freq_factor", l.lowFreqFactor()).put("high_freq_factor", l.highFreqFactor())
                    .put("original_max_position_embeddings", l.originalMaxPositionEmbeddings());
            case RopeScaling.Divisors d -> throw new JllmException(c.source()
                    + ": per-frequency RoPE divisors (GGUF rope_freqs.weight) have no config.json equivalent");
        }
        o.put("max_position_embeddings", c.maxPositionEmbeddings());
        o.put("tie_word_embeddings", c.tieWordEmbeddings());
        switch (family) {
            case LLAMA -> {
                if (c.qkvBias() != c.outputBias()) {
                    throw new JllmException(c.source() + ": Llama's attention_bias covers q, k, v and o together");
                }
                o.put("attention_bias", c.qkvBias());
                o.put("mlp_bias", c.mlpBias());
            }
            case QWEN3, QWEN3_MOE -> o.put("attention_bias", c.qkvBias());
            default -> { }
        }
        if (windowed) {
            int window = c.slidingWindows().stream().filter(w -> w > 0).findFirst().orElseThrow();
            o.put("sliding_window", window);
            ArrayNode types = o.putArray("layer_types");
            for (int w : c.slidingWindows()) {
                if (w != 0 && w != window) throw new JllmException(c.source() + ": layers use different sliding windows");
                types.add(w > 0 ? "sliding_attention" : "full_attention");
            }
            if (family == Family.QWEN2 || family == Family.QWEN3 || family == Family.QWEN3_MOE) {
                o.put("use_sliding_window", true);
                o.put("max_window_layers", c.slidingWindows().indexOf(window));
            }
        } else {
            o.putNull("sliding_window");
        }
        if (c.moe() != null) {
            MoeConfig m = c.moe();
            if (family == Family.MIXTRAL) {
                o.put("num_local_experts", m.numExperts());
                o.put("num_experts_per_tok", m.expertsPerToken());
            } else {
                o.put("num_experts", m.numExperts());
                o.put("num_experts_per_tok", m.expertsPerToken());
                o.put("norm_topk_prob", m.normalizeTopK());
                o.put("moe_intermediate_size", m.expertIntermediateSize());
                o.put("decoder_sparse_step", 1);
                ArrayNode dense = o.putArray("mlp_only_layers");
                for (int l = 0; l < c.numLayers(); l++) if (!m.isSparse(l)) dense.add(l);
            }
        }
        if (c.bosTokenId() != null) o.put("bos_token_id", c.bosTokenId());
        putIds(o, "eos_token_id", c.eosTokenIds());
        o.put("torch_dtype", dtype);
        return o;
    }

    /** An id list as transformers writes it: a single number for one id, an array for several. */
    public static void putIds(ObjectNode o, String field, List<Integer> ids) {
        if (ids.size() == 1) o.put(field, ids.get(0));
        else if (ids.size() > 1) {
            ArrayNode a = o.putArray(field);
            ids.forEach(a::add);
        }
    }
}
