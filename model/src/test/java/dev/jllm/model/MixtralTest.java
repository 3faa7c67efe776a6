package dev.jllm.model;

import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.model.config.Family;
import dev.jllm.model.convert.ModelConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A random Mixtral checkpoint (block_sparse_moe names, every layer sparse) loads, runs, and gives identical logits
 * after an HF -> GGUF conversion (GGUF "llama" with expert tensors stacked) and back to HF.
 */
class MixtralTest {
    @TempDir
    Path tmp;

    private static SafeTensor random(String name, SplittableRandom r, double scale, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return SafeTensor.ofFloats(name, shape, v);
    }

    private static SafeTensor norm(String name, SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.25 * (r.nextDouble() - 0.5));
        return SafeTensor.ofFloats(name, new long[] {n}, v);
    }

    @Test
    void mixtralLoadsAndRoundTrips() throws Exception {
        int hidden = 32, inter = 48, layers = 2, heads = 4, kv = 2, hd = 8, experts = 4, vocab = 64;
        Path hf = tmp.resolve("mixtral");
        Files.createDirectories(hf);
        Files.writeString(hf.resolve("config.json"), """
                {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 32,
                 "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
                 "head_dim": 8, "vocab_size": 64, "num_local_experts": 4, "num_experts_per_tok": 2,
                 "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "sliding_window": null, "tie_word_embeddings": false,
                 "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}
                """);
        SplittableRandom r = new SplittableRandom(5);
        List<SafeTensor> t = new ArrayList<>();
        t.add(random("model.embed_tokens.weight", r, 1, vocab, hidden));
        t.add(random("lm_head.weight", r, 0.3, vocab, hidden));
        t.add(norm("model.norm.weight", r, hidden));
        double a = Math.sqrt(3.0 / hidden);
        for (int l = 0; l < layers; l++) {
            String p = "model.layers." + l + ".";
            t.add(norm(p + "input_layernorm.weight", r, hidden));
            t.add(norm(p + "post_attention_layernorm.weight", r, hidden));
            t.add(random(p + "self_attn.q_proj.weight", r, a, heads * hd, hidden));
            t.add(random(p + "self_attn.k_proj.weight", r, a, kv * hd, hidden));
            t.add(random(p + "self_attn.v_proj.weight", r, a, kv * hd, hidden));
            t.add(random(p + "self_attn.o_proj.weight", r, a, hidden, heads * hd));
            t.add(random(p + "block_sparse_moe.gate.weight", r, 2 * a, experts, hidden));
            for (int e = 0; e < experts; e++) {
                String ep = p + "block_sparse_moe.experts." + e + ".";
                t.add(random(ep + "w1.weight", r, a, inter, hidden));
                t.add(random(ep + "w3.weight", r, a, inter, hidden));
                t.add(random(ep + "w2.weight", r, Math.sqrt(3.0 / inter), hidden, inter));
            }
        }
        SafetensorsWriter.write(hf.resolve("model.safetensors"), t, Map.of("format", "pt"));
        int[] ids = {1, 5, 9, 33, 17, 60, 2, 41};
        float[][] expected;
        try (Model m = Model.load(hf)) {
            assertEquals(Family.MIXTRAL, m.config().family());
            expected = m.logits(ids);
            for (float[] row : expected) for (float v : row) assertTrue(Float.isFinite(v));
        }
        Path gguf = tmp.resolve("mixtral.gguf");
        ModelConverter.convert(hf, gguf);
        try (Model m = Model.load(gguf)) {
            assertEquals(Family.MIXTRAL, m.config().family());
            float[][] actual = m.logits(ids);
            for (int i = 0; i < ids.length; i++) assertArrayEquals(expected[i], actual[i], 1e-6f);
        }
        Path back = tmp.resolve("mixtral-back");
        ModelConverter.convert(gguf, back);
        assertTrue(Files.readString(back.resolve("config.json")).contains("MixtralForCausalLM"));
        try (Model m = Model.load(back)) {
            float[][] actual = m.logits(ids);
            for (int i = 0; i < ids.length; i++) assertArrayEquals(expected[i], actual[i], 1e-6f);
        }
    }
}
