package dev.jllm.model.load;

import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The mapping between Hugging Face parameter names and llama.cpp's GGUF tensor names (as
 * {@code convert_hf_to_gguf.py} writes them). GGUF stores all experts of a layer in one 3-D tensor, so an HF expert
 * weight maps to a name plus an expert index.
 */
public final class TensorNames {
    private TensorNames() {}

    /** A GGUF tensor, or one expert's slice of it ({@code expert} -1 for a whole tensor). */
    public record GgufName(String name, int expert) {}

    private static final Map<String, String> GLOBAL = Map.of(
            "model.embed_tokens.weight", "token_embd.weight",
            "lm_head.weight", "output.weight",
            "model.norm.weight", "output_norm.weight");

    private static final Map<String, String> LAYER = Map.ofEntries(
            Map.entry("input_layernorm.weight", "attn_norm.weight"),
            Map.entry("post_attention_layernorm.weight", "ffn_norm.weight"),
            Map.entry("self_attn.q_proj.weight", "attn_q.weight"),
            Map.entry("self_attn.k_proj.weight", "attn_k.weight"),
            Map.entry("self_attn.v_proj.weight", "attn_v.weight"),
            Map.entry("self_attn.o_proj.weight", "attn_output.weight"),
            Map.entry("self_attn.q_proj.bias", "attn_q.bias"),
            Map.entry("self_attn.k_proj.bias", "attn_k.bias"),
            Map.entry("self_attn.v_proj.bias", "attn_v.bias"),
            Map.entry("self_attn.o_proj.bias", "attn_output.bias"),
            Map.entry("self_attn.q_norm.weight", "attn_q_norm.weight"),
            Map.entry("self_attn.k_norm.weight", "attn_k_norm.weight"),
            Map.entry("mlp.gate_proj.weight", "ffn_gate.weight"),
            Map.entry("mlp.up_proj.weight", "ffn_up.weight"),
            Map.entry("mlp.down_proj.weight", "ffn_down.weight"),
            Map.entry("mlp.gate_proj.bias", "ffn_gate.bias"),
            Map.entry("mlp.up_proj.bias", "ffn_up.bias"),
            Map.entry("mlp.down_proj.bias", "ffn_down.bias"),
            Map.entry("mlp.gate.weight", "ffn_gate_inp.weight"),
            Map.entry("block_sparse_moe.gate.weight", "ffn_gate_inp.weight"));

    private static final Map<String, String> EXPERT = Map.of(
            "gate_proj", "ffn_gate_exps", "w1", "ffn_gate_exps",
            "up_proj", "ffn_up_exps", "w3", "ffn_up_exps",
            "down_proj", "ffn_down_exps", "w2", "ffn_down_exps");

    private static final Pattern HF_LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    private static final Pattern HF_EXPERT = Pattern.compile("(?:mlp|block_sparse_moe)\\.experts\\.(\\d+)\\.(\\w+)\\.weight");
    private static final Pattern GGUF_LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+)");

    public static Optional<GgufName> toGguf(String hf) {
        String global = GLOBAL.get(hf);
        if (global != null) return Optional.of(new GgufName(global, -1));
        Matcher m = HF_LAYER.matcher(hf);
        if (!m.matches()) return Optional.empty();
        String layer = m.group(1);
        String rest = m.group(2);
        String mapped = LAYER.get(rest);
        if (mapped != null) return Optional.of(new GgufName("blk." + layer + "." + mapped, -1));
        Matcher e = HF_EXPERT.matcher(rest);
        if (e.matches() && EXPERT.containsKey(e.group(2))) {
            return Optional.of(new GgufName("blk." + layer + "." + EXPERT.get(e.group(2)) + ".weight", Integer.parseInt(e.group(1))));
        }
        return Optional.empty();
    }

    /** The HF name of a dense GGUF tensor (experts and {@code rope_freqs} have none). */
    public static Optional<String> toHf(String gguf) {
        for (var e : GLOBAL.entrySet()) if (e.getValue().equals(gguf)) return Optional.of(e.getKey());
        Matcher m = GGUF_LAYER.matcher(gguf);
        if (!m.matches()) return Optional.empty();
        for (var e : LAYER.entrySet()) {
            if (e.getValue().equals(m.group(2)) && !e.getKey().startsWith("block_sparse_moe")) {
                return Optional.of("model.layers." + m.group(1) + "." + e.getKey());
            }
        }
        return Optional.empty();
    }
}
