package dev.jllm.train.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.train.data.Batch;
import dev.jllm.train.nn.Parameter;

import java.util.Random;

/** Tiny random models of each supported family, and a padded batch for them. */
public final class TinyModels {
    private TinyModels() {}

    public static ModelConfig config(String json) {
        try {
            return ModelConfig.fromJson("test config", new ObjectMapper().readTree(json));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Llama with biases everywhere, untied head, head_dim·heads ≠ hidden, linear RoPE scaling. */
    public static final String LLAMA = """
            {"architectures":["LlamaForCausalLM"],"vocab_size":13,"hidden_size":8,"intermediate_size":12,
             "num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":4,
             "attention_bias":true,"mlp_bias":true,"tie_word_embeddings":false,"rms_norm_eps":1e-5,
             "rope_theta":100.0,"rope_scaling":{"rope_type":"linear","factor":2.0}}""";
    /** Qwen3: q/k norms, tied embeddings. */
    public static final String QWEN3 = """
            {"architectures":["Qwen3ForCausalLM"],"vocab_size":11,"hidden_size":8,"intermediate_size":10,
             "num_hidden_layers":2,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,
             "tie_word_embeddings":true,"rms_norm_eps":1e-6,"rope_theta":1000.0}""";
    /** Mistral: sliding window of 3 positions. */
    public static final String MISTRAL = """
            {"architectures":["MistralForCausalLM"],"vocab_size":12,"hidden_size":8,"intermediate_size":8,
             "num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":2,
             "sliding_window":3,"rms_norm_eps":1e-5,"rope_theta":10000.0}""";
    /** Qwen2: q/k/v biases only. */
    public static final String QWEN2 = """
            {"architectures":["Qwen2ForCausalLM"],"vocab_size":10,"hidden_size":6,"intermediate_size":8,
             "num_hidden_layers":1,"num_attention_heads":3,"num_key_value_heads":3,"rms_norm_eps":1e-6}""";

    /** A model whose weights are large enough that every path of the network matters. */
    public static CausalLm model(String json, long seed) {
        CausalLm m = CausalLm.initialize(config(json), 0.4, seed);
        Random r = new Random(seed + 1);
        for (Parameter p : m.parameters()) {
            if (p.name().endsWith("norm.weight") || p.name().endsWith(".bias")) {
                for (int i = 0; i < p.size(); i++) p.value()[i] += 0.3 * r.nextGaussian();
            }
        }
        return m;
    }

    /** Two rows of 6; the second right-padded by 2; label 0 is -100 as in the reference runs. */
    public static Batch batch(int vocab, long seed) {
        Random r = new Random(seed);
        int[][] ids = new int[2][6], mask = new int[2][6], labels = new int[2][6];
        for (int b = 0; b < 2; b++) {
            int len = b == 0 ? 6 : 4;
            for (int t = 0; t < 6; t++) {
                boolean real = t < len;
                ids[b][t] = real ? r.nextInt(vocab) : 0;
                mask[b][t] = real ? 1 : 0;
                labels[b][t] = real && t > 0 ? ids[b][t] : -100;
            }
        }
        return Batch.of(ids, mask, labels);
    }
}
