package dev.jllm.model.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class ModelConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ModelConfig parse(String json) throws Exception {
        return ModelConfig.fromJson("test/config.json", JSON.readTree(json));
    }

    private static final String LLAMA = """
            {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
             "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "vocab_size": 128,
             "rms_norm_eps": 1e-05, "rope_theta": 500000.0, "torch_dtype": "bfloat16", "eos_token_id": [126, 127],
             "rope_scaling": {"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                              "original_max_position_embeddings": 64, "rope_type": "llama3"}}
            """;

    @Test
    void llamaWithLlama3Scaling() throws Exception {
        ModelConfig c = parse(LLAMA);
        assertEquals(Family.LLAMA, c.family());
        assertEquals(16, c.headDim());
        assertEquals(2, c.numKvHeads());
        assertEquals(500000.0, c.ropeTheta());
        assertEquals(new RopeScaling.Llama3(8.0, 1.0, 4.0, 64), c.ropeScaling());
        assertEquals("bfloat16", c.dtype());
        assertEquals(List.of(126, 127), c.eosTokenIds());
        assertFalse(c.tieWordEmbeddings());
        assertFalse(c.qkvBias());
        assertEquals(List.of(0, 0), c.slidingWindows());
        assertNull(c.moe());
    }

    @Test
    void transformersV5RopeParametersAndDtype() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
                 "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 128, "dtype": "float16",
                 "rope_parameters": {"rope_theta": 1000.0, "rope_type": "linear", "factor": 2.0}}
                """);
        assertEquals(1000.0, c.ropeTheta());
        assertEquals(new RopeScaling.Linear(2.0), c.ropeScaling());
        assertEquals("float16", c.dtype());
        assertEquals(4, c.numKvHeads(), "num_key_value_heads defaults to num_attention_heads");
    }

    @Test
    void legacyTypeKeyAndDynamic() throws Exception {
        ModelConfig c = parse(LLAMA.replace("\"rope_scaling\": {", "\"rope_scaling\": {\"type\": \"dynamic\", \"x\": {").replace("\"rope_type\": \"llama3\"}", "\"y\": 1}, \"factor\": 2.0}"));
        assertEquals(new RopeScaling.Dynamic(2.0), c.ropeScaling());
    }

    @Test
    void mistralSlidingWindowAppliesToEveryLayer() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["MistralForCausalLM"], "hidden_size": 64, "intermediate_size": 112, "head_dim": 16,
                 "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 1, "vocab_size": 100,
                 "sliding_window": 8}
                """);
        assertEquals(List.of(8, 8), c.slidingWindows());
    }

    @Test
    void qwen2BiasesAndWindowFromMaxWindowLayers() throws Exception {
        String base = """
                {"architectures": ["Qwen2ForCausalLM"], "hidden_size": 48, "intermediate_size": 80,
                 "num_attention_heads": 6, "num_hidden_layers": 3, "num_key_value_heads": 2, "vocab_size": 120,
                 "sliding_window": 16, "max_window_layers": 1, "use_sliding_window": USE, "tie_word_embeddings": true}
                """;
        ModelConfig off = parse(base.replace("USE", "false"));
        assertTrue(off.qkvBias());
        assertFalse(off.outputBias());
        assertTrue(off.tieWordEmbeddings());
        assertEquals(List.of(0, 0, 0), off.slidingWindows());
        assertEquals(List.of(0, 16, 16), parse(base.replace("USE", "true")).slidingWindows());
    }

    @Test
    void layerTypesWinOverMaxWindowLayers() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["Qwen3ForCausalLM"], "hidden_size": 48, "intermediate_size": 80, "head_dim": 16,
                 "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 120, "sliding_window": 4,
                 "layer_types": ["sliding_attention", "full_attention"]}
                """);
        assertEquals(List.of(4, 0), c.slidingWindows());
        assertTrue(c.qkNorm());
        assertEquals(16, c.headDim(), "head_dim overrides hidden/heads");
    }

    @Test
    void qwen3MoeSparseLayers() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["Qwen3MoeForCausalLM"], "hidden_size": 32, "intermediate_size": 64, "head_dim": 16,
                 "num_attention_heads": 4, "num_hidden_layers": 5, "num_key_value_heads": 2, "vocab_size": 112,
                 "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 24, "norm_topk_prob": true,
                 "decoder_sparse_step": 2, "mlp_only_layers": [3]}
                """);
        MoeConfig m = c.moe();
        assertEquals(8, m.numExperts());
        assertEquals(2, m.expertsPerToken());
        assertTrue(m.normalizeTopK());
        assertEquals(24, m.expertIntermediateSize());
        assertEquals(Set.of(1), m.sparseLayers(), "(i+1) % 2 == 0 gives 1 and 3; 3 is mlp-only");
    }

    @Test
    void mixtralEveryLayerSparseAlwaysNormalized() throws Exception {
        ModelConfig c = parse("""
                {"architectures": ["MixtralForCausalLM"], "hidden_size": 32, "intermediate_size": 64,
                 "num_attention_heads": 4, "num_hidden_layers": 2, "vocab_size": 50, "num_local_experts": 4,
                 "num_experts_per_tok": 2}
                """);
        assertEquals(Set.of(0, 1), c.moe().sparseLayers());
        assertTrue(c.moe().normalizeTopK());
        assertEquals(MoeConfig.Naming.MIXTRAL, c.moe().naming());
    }

    @Test
    void unknownArchitectureNamesFileAndField() {
        var e = assertThrows(JllmException.class, () -> parse("""
                {"architectures": ["GPT2LMHeadModel"], "hidden_size": 8}"""));
        assertTrue(e.getMessage().contains("test/config.json"), e.getMessage());
        assertTrue(e.getMessage().contains("architectures"), e.getMessage());
        assertTrue(e.getMessage().contains("GPT2LMHeadModel"), e.getMessage());
    }

    @Test
    void missingAndWrongTypedFieldsNameTheField() {
        var e = assertThrows(JllmException.class, () -> parse("""
                {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2}"""));
        assertTrue(e.getMessage().contains("'vocab_size'") || e.getMessage().contains("'intermediate_size'"), e.getMessage());
        e = assertThrows(JllmException.class, () -> parse(LLAMA.replace("\"hidden_size\": 64", "\"hidden_size\": \"64\"")));
        assertTrue(e.getMessage().contains("hidden_size"), e.getMessage());
        e = assertThrows(JllmException.class, () -> parse(LLAMA.replace("\"rope_type\": \"llama3\"", "\"rope_type\": \"yarn\"")));
        assertTrue(e.getMessage().contains("yarn"), e.getMessage());
        e = assertThrows(JllmException.class, () -> parse(LLAMA.replace("\"num_key_value_heads\": 2", "\"num_key_value_heads\": 3")));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
    }

    @Test
    void ggufMetadata() {
        Map<String, Object> md = new HashMap<>();
        md.put("general.architecture", "llama");
        md.put("llama.block_count", 2L);
        md.put("llama.context_length", 256L);
        md.put("llama.embedding_length", 64L);
        md.put("llama.feed_forward_length", 128L);
        md.put("llama.attention.head_count", 4L);
        md.put("llama.attention.head_count_kv", 2L);
        md.put("llama.rope.freq_base", 500000.0);
        md.put("llama.attention.layer_norm_rms_epsilon", 1e-5);
        md.put("tokenizer.ggml.eos_token_id", 126L);
        md.put("tokenizer.ggml.eot_token_id", 127L);
        float[] divisors = {1, 2, 3, 4, 5, 6, 7, 8};
        ModelConfig c = ModelConfig.fromGguf("m.gguf", md, divisors, false, 128, Set.of("token_embd.weight"));
        assertEquals(128, c.vocabSize());
        assertEquals(16, c.headDim());
        assertTrue(c.tieWordEmbeddings());
        assertEquals(List.of(126, 127), c.eosTokenIds());
        assertInstanceOf(RopeScaling.Divisors.class, c.ropeScaling());
        md.put("general.architecture", "gpt2");
        var e = assertThrows(JllmException.class, () -> ModelConfig.fromGguf("m.gguf", md, null, true, 128, Set.of()));
        assertTrue(e.getMessage().contains("m.gguf") && e.getMessage().contains("general.architecture"), e.getMessage());
    }

    @Test
    void generationConfig() throws Exception {
        GenerationConfig g = GenerationConfig.fromJson("g.json", JSON.readTree("""
                {"bos_token_id": 1, "eos_token_id": [2, 7], "do_sample": true, "temperature": 0.6, "top_p": 0.9}"""));
        assertEquals(List.of(2, 7), g.eosTokenIds());
        assertEquals(Boolean.TRUE, g.doSample());
        assertEquals(0.6, g.temperature());
        assertNull(g.topK());
        assertNull(g.maxLength());
    }
}
