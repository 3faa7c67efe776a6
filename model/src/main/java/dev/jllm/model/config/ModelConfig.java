package dev.jllm.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Everything the forward pass needs to know about a decoder-only transformer, read from a Hugging Face
 * {@code config.json} ({@link #fromJson}) or from GGUF metadata ({@link #fromGguf}).
 *
 * @param source               where the config came from (used in error messages)
 * @param family               selects defaults and tensor names
 * @param slidingWindows       per layer: how many most recent keys (including the query's own position) a query sees;
 *                             0 for full causal attention
 * @param qkvBias              q/k/v projections carry a bias (Qwen2, Llama {@code attention_bias})
 * @param outputBias           o_proj carries a bias (Llama {@code attention_bias})
 * @param mlpBias              gate/up/down projections carry a bias (Llama {@code mlp_bias})
 * @param qkNorm               per-head RMSNorm of q and k before RoPE (Qwen3)
 * @param moe                  mixture-of-experts settings, or null for a dense model
 * @param dtype                the checkpoint's declared dtype ({@code torch_dtype}/{@code dtype}), or null
 * @param eosTokenIds          possibly empty
 */
public record ModelConfig(
        String source,
        Family family,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean qkvBias,
        boolean outputBias,
        boolean mlpBias,
        boolean qkNorm,
        List<Integer> slidingWindows,
        MoeConfig moe,
        String dtype,
        Integer bosTokenId,
        List<Integer> eosTokenIds) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        slidingWindows = List.copyOf(slidingWindows);
        eosTokenIds = List.copyOf(eosTokenIds);
        if (slidingWindows.size() != numLayers) {
            throw new JllmException(source + ": " + slidingWindows.size() + " sliding-window entries for " + numLayers + " layers");
        }
        positive(source, "vocab_size", vocabSize);
        positive(source, "hidden_size", hiddenSize);
        positive(source, "intermediate_size", intermediateSize);
        positive(source, "num_hidden_layers", numLayers);
        positive(source, "num_attention_heads", numHeads);
        positive(source, "num_key_value_heads", numKvHeads);
        positive(source, "head_dim", headDim);
        positive(source, "max_position_embeddings", maxPositionEmbeddings);
        if (numHeads % numKvHeads != 0) {
            throw new JllmException(source + ": num_attention_heads " + numHeads + " is not a multiple of num_key_value_heads " + numKvHeads);
        }
        if (headDim % 2 != 0) throw new JllmException(source + ": head_dim " + headDim + " must be even for rotary embeddings");
        if (!(rmsNormEps > 0)) throw new JllmException(source + ": rms_norm_eps must be > 0, got " + rmsNormEps);
        if (!(ropeTheta > 0)) throw new JllmException(source + ": rope_theta must be > 0, got " + ropeTheta);
    }

    private static void positive(String source, String field, int value) {
        if (value <= 0) throw new JllmException(source + ": field '" + field + "' must be a positive integer, got " + value);
    }

    public int queryDim() {
        return numHeads * headDim;
    }

    public int kvDim() {
        return numKvHeads * headDim;
    }

    public boolean isMoe() {
        return moe != null;
    }

    public int slidingWindow(int layer) {
        return slidingWindows.get(layer);
    }

    // ---------------------------------------------------------------------------------------------- config.json

    /** Reads a config.json file, or the config.json inside a model folder. */
    public static ModelConfig fromJson(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("config.json") : path;
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new JllmException(file + ": no such file (a Hugging Face model folder needs config.json)");
        } catch (IOException e) {
            throw new JllmException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        return fromJson(file.toString(), root);
    }

    /** Interprets a parsed config.json; {@code source} names it in error messages. */
    public static ModelConfig fromJson(String source, JsonNode root) {
        if (root == null || !root.isObject()) throw new JllmException(source + ": expected a JSON object");
        var c = new JsonFields(source, root);
        Family family = family(c);

        int hidden = c.requireInt("hidden_size");
        int heads = c.requireInt("num_attention_heads");
        int layers = c.requireInt("num_hidden_layers");
        int kvHeads = c.optInt("num_key_value_heads", heads);
        int headDim = c.optInt("head_dim", 0);
        if (headDim == 0) {
            if (hidden % heads != 0) {
                throw new JllmException(source + ": no head_dim and hidden_size " + hidden + " is not divisible by num_attention_heads " + heads);
            }
            headDim = hidden / heads;
        }
        String act = c.optString("hidden_act", "silu");
        if (!act.equals("silu") && !act.equals("swish")) {
            throw new JllmException(source + ": field 'hidden_act' is '" + act + "'; only silu (SwiGLU) MLPs are supported");
        }

        // Rope: transformers v5 nests everything in rope_parameters; v4 has rope_theta + rope_scaling.
        JsonNode ropeParams = c.node("rope_parameters");
        double theta;
        RopeScaling scaling;
        if (ropeParams != null && ropeParams.isObject()) {
            var rp = new JsonFields(source + " rope_parameters", ropeParams);
            theta = rp.optDouble("rope_theta", c.optDouble("rope_theta", 10000.0));
            scaling = ropeScaling(rp);
        } else {
            theta = c.optDouble("rope_theta", 10000.0);
            JsonNode rs = c.node("rope_scaling");
            scaling = rs == null || rs.isNull() ? new RopeScaling.None() : ropeScaling(new JsonFields(source + " rope_scaling", rs));
        }
        if (scaling instanceof RopeScaling.Llama3 l && l.originalMaxPositionEmbeddings() <= 0) {
            throw new JllmException(source + ": rope_scaling llama3 needs original_max_position_embeddings");
        }

        boolean qwen = family == Family.QWEN2 || family == Family.QWEN3 || family == Family.QWEN3_MOE;
        boolean attentionBias = c.optBool("attention_bias", false);
        boolean qkvBias = family == Family.QWEN2 || attentionBias;
        // Qwen's attention_bias covers q/k/v only; Llama's covers o_proj too.
        boolean outputBias = attentionBias && !qwen;
        boolean mlpBias = c.optBool("mlp_bias", false);
        boolean qkNorm = family == Family.QWEN3 || family == Family.QWEN3_MOE;

        List<Integer> windows = slidingWindows(c, family, layers);

        MoeConfig moe = switch (family) {
            case MIXTRAL -> new MoeConfig(c.optInt("num_local_experts", 8), c.optInt("num_experts_per_tok", 2), true,
                    c.requireInt("intermediate_size"), range(layers), MoeConfig.Naming.MIXTRAL);
            case QWEN3_MOE -> qwenMoe(c, layers);
            default -> null;
        };
        if (moe != null && (moe.expertsPerToken() <= 0 || moe.expertsPerToken() > moe.numExperts())) {
            throw new JllmException(source + ": num_experts_per_tok " + moe.expertsPerToken() + " must be in 1.." + moe.numExperts());
        }

        String dtype = c.optString("dtype", c.optString("torch_dtype", null));
        return new ModelConfig(source, family,
                c.requireInt("vocab_size"), hidden, c.requireInt("intermediate_size"), layers, heads, kvHeads, headDim,
                c.optDouble("rms_norm_eps", 1e-6), theta, scaling,
                c.optInt("max_position_embeddings", 2048),
                c.optBool("tie_word_embeddings", false),
                qkvBias, outputBias, mlpBias, qkNorm, windows, moe, dtype,
                c.optIntOrNull("bos_token_id"), c.intList("eos_token_id"));
    }

    private static Family family(JsonFields c) {
        JsonNode archs = c.node("architectures");
        if (archs != null && archs.isArray() && !archs.isEmpty()) {
            String name = archs.get(0).asText();
            return Family.byArchitecture(name).orElseThrow(() -> new JllmException(c.source()
                    + ": field 'architectures' names '" + name + "', which is not supported (supported: "
                    + Family.supportedArchitectures() + ")"));
        }
        String type = c.optString("model_type", null);
        if (type == null) {
            throw new JllmException(c.source() + ": neither 'architectures' nor 'model_type' is present, so the architecture is unknown");
        }
        return Family.byModelType(type).orElseThrow(() -> new JllmException(c.source() + ": field 'model_type' is '"
                + type + "', which is not supported (supported: " + Family.supportedArchitectures() + ")"));
    }

    private static RopeScaling ropeScaling(JsonFields rs) {
        // transformers copies a legacy "type" into "rope_type"; accept either.
        String type = rs.optString("rope_type", rs.optString("type", "default"));
        return switch (type) {
            case "default" -> new RopeScaling.None();
            case "linear" -> new RopeScaling.Linear(rs.requireDouble("factor"));
            case "dynamic" -> new RopeScaling.Dynamic(rs.requireDouble("factor"));
            case "llama3" -> new RopeScaling.Llama3(rs.requireDouble("factor"), rs.optDouble("low_freq_factor", 1.0),
                    rs.optDouble("high_freq_factor", 4.0), rs.optInt("original_max_position_embeddings", 0));
            default -> throw new JllmException(rs.source() + ": rope type '" + type
                    + "' is not supported (supported: default, linear, dynamic, llama3)");
        };
    }

    private static List<Integer> slidingWindows(JsonFields c, Family family, int layers) {
        int window = c.optInt("sliding_window", 0);
        List<Integer> out = new ArrayList<>(Collections.nCopies(layers, 0));
        if (window <= 0) return out;
        JsonNode layerTypes = c.node("layer_types");
        if (layerTypes != null && layerTypes.isArray()) {
            // transformers v5 spells out each layer's attention kind.
            if (layerTypes.size() != layers) {
                throw new JllmException(c.source() + ": field 'layer_types' has " + layerTypes.size() + " entries for " + layers + " layers");
            }
            for (int i = 0; i < layers; i++) {
                if ("sliding_attention".equals(layerTypes.get(i).asText())) out.set(i, window);
            }
            return out;
        }
        switch (family) {
            case QWEN2, QWEN3, QWEN3_MOE -> {
                // Qwen applies the window only when use_sliding_window, and only from max_window_layers on.
                if (!c.optBool("use_sliding_window", false)) return out;
                int from = c.optInt("max_window_layers", layers);
                for (int i = from; i < layers; i++) out.set(i, window);
            }
            default -> {
                if (!c.optBool("use_sliding_window", true)) return out;
                for (int i = 0; i < layers; i++) out.set(i, window);
            }
        }
        return out;
    }

    private static MoeConfig qwenMoe(JsonFields c, int layers) {
        // Defaults are Qwen3MoeConfig's class defaults.
        int experts = c.optInt("num_experts", 128);
        int step = c.optInt("decoder_sparse_step", 1);
        if (step <= 0) throw new JllmException(c.source() + ": field 'decoder_sparse_step' must be >= 1, got " + step);
        Set<Integer> mlpOnly = new HashSet<>(c.intList("mlp_only_layers"));
        Set<Integer> sparse = new HashSet<>();
        for (int i = 0; i < layers; i++) {
            if (!mlpOnly.contains(i) && experts > 0 && (i + 1) % step == 0) sparse.add(i);
        }
        return new MoeConfig(experts, c.optInt("num_experts_per_tok", 8), c.optBool("norm_topk_prob", false),
                c.optInt("moe_intermediate_size", 768), sparse, MoeConfig.Naming.QWEN);
    }

    private static Set<Integer> range(int n) {
        Set<Integer> s = new HashSet<>();
        for (int i = 0; i < n; i++) s.add(i);
        return s;
    }

    // ---------------------------------------------------------------------------------------------- GGUF

    /**
     * Interprets GGUF metadata (values as {@code GgufFile.metadata()} gives them: String, Long, Double, Boolean,
     * arrays). {@code ropeDivisors} is the content of {@code rope_freqs.weight} when the file has one, else null;
     * {@code hasOutput} says whether the file has a separate {@code output.weight}; {@code embeddingRows} is
     * the row count of {@code token_embd.weight} (the vocabulary size when no key states it).
     */
    public static ModelConfig fromGguf(String source, Map<String, Object> md, float[] ropeDivisors, boolean hasOutput,
                                       int embeddingRows, Set<String> tensorNames) {
        var g = new GgufFields(source, md);
        String arch = g.requireString("general.architecture");
        Family family = Family.byGgufArchitecture(arch).orElseThrow(() -> new JllmException(source
                + ": field 'general.architecture' is '" + arch + "', which is not supported (supported: llama, mistral, qwen2, qwen3, qwen3moe)"));
        String p = arch + ".";
        int hidden = g.requireInt(p + "embedding_length");
        int layers = g.requireInt(p + "block_count");
        int heads = g.requireInt(p + "attention.head_count");
        int kvHeads = g.optInt(p + "attention.head_count_kv", heads);
        int headDim = g.optInt(p + "attention.key_length", hidden / heads);
        int vocab = g.optInt(p + "vocab_size", embeddingRows);
        double theta = g.optDouble(p + "rope.freq_base", 10000.0);
        RopeScaling scaling = new RopeScaling.None();
        String scalingType = g.optString(p + "rope.scaling.type", "none");
        switch (scalingType) {
            case "none" -> { }
            case "linear" -> scaling = new RopeScaling.Linear(g.requireDouble(p + "rope.scaling.factor"));
            default -> throw new JllmException(source + ": field '" + p + "rope.scaling.type' is '" + scalingType
                    + "'; supported: none, linear");
        }
        if (ropeDivisors != null) {
            if (!(scaling instanceof RopeScaling.None)) {
                throw new JllmException(source + ": both rope_freqs.weight and " + p + "rope.scaling.type are present");
            }
            if (ropeDivisors.length != headDim / 2) {
                throw new JllmException(source + ": tensor 'rope_freqs.weight' has " + ropeDivisors.length
                        + " values, expected head_dim/2 = " + (headDim / 2));
            }
            scaling = new RopeScaling.Divisors(ropeDivisors);
        }
        int window = g.optInt(p + "attention.sliding_window", 0);
        List<Integer> windows = new ArrayList<>(Collections.nCopies(layers, window > 0 ? window : 0));

        MoeConfig moe = null;
        int experts = g.optInt(p + "expert_count", 0);
        if (experts > 0) {
            Set<Integer> sparse = new HashSet<>();
            for (int i = 0; i < layers; i++) if (tensorNames.contains("blk." + i + ".ffn_gate_inp.weight")) sparse.add(i);
            boolean norm = family == Family.LLAMA || g.optBool(p + "expert_weights_norm", true);
            moe = new MoeConfig(experts, g.requireInt(p + "expert_used_count"), norm,
                    g.optInt(p + "expert_feed_forward_length", g.optInt(p + "feed_forward_length", 0)), sparse,
                    family == Family.LLAMA ? MoeConfig.Naming.MIXTRAL : MoeConfig.Naming.QWEN);
            if (family == Family.LLAMA) family = Family.MIXTRAL;
        }
        boolean qkvBias = tensorNames.contains("blk.0.attn_q.bias");
        boolean outputBias = tensorNames.contains("blk.0.attn_output.bias");
        boolean qkNorm = tensorNames.contains("blk.0.attn_q_norm.weight");
        int ffn = g.optInt(p + "feed_forward_length", moe != null ? moe.expertIntermediateSize() : 0);
        Integer bos = g.optIntOrNull("tokenizer.ggml.bos_token_id");
        // llama.cpp also stops on the end-of-turn / end-of-message tokens (Llama 3's <|eot_id|>, <|eom_id|>).
        List<Integer> eos = new ArrayList<>();
        for (String key : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id")) {
            Integer id = g.optIntOrNull(key);
            if (id != null && !eos.contains(id)) eos.add(id);
        }
        return new ModelConfig(source, family, vocab, hidden, ffn, layers, heads, kvHeads, headDim,
                g.optDouble(p + "attention.layer_norm_rms_epsilon", 1e-5), theta, scaling,
                g.optInt(p + "context_length", 2048), !hasOutput, qkvBias, outputBias, false, qkNorm, windows, moe,
                null, bos, eos);
    }

    /** Small typed view of a GGUF metadata map whose errors name the file and key. */
    private record GgufFields(String source, Map<String, Object> md) {
        Object get(String key) {
            return md.get(key);
        }

        String requireString(String key) {
            if (!(get(key) instanceof String s)) throw missing(key, "a string");
            return s;
        }

        String optString(String key, String dflt) {
            Object v = get(key);
            if (v == null) return dflt;
            if (!(v instanceof String s)) throw missing(key, "a string");
            return s.toLowerCase(Locale.ROOT);
        }

        int requireInt(String key) {
            Object v = get(key);
            if (v == null) throw missing(key, "an integer");
            return toInt(key, v);
        }

        int optInt(String key, int dflt) {
            Object v = get(key);
            return v == null ? dflt : toInt(key, v);
        }

        Integer optIntOrNull(String key) {
            Object v = get(key);
            return v == null ? null : toInt(key, v);
        }

        private int toInt(String key, Object v) {
            if (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                    && n.longValue() >= Integer.MIN_VALUE && n.longValue() <= Integer.MAX_VALUE) return n.intValue();
            throw missing(key, "an integer in int range");
        }

        double requireDouble(String key) {
            if (!(get(key) instanceof Number n)) throw missing(key, "a number");
            return n.doubleValue();
        }

        double optDouble(String key, double dflt) {
            Object v = get(key);
            if (v == null) return dflt;
            if (!(v instanceof Number n)) throw missing(key, "a number");
            return n.doubleValue();
        }

        boolean optBool(String key, boolean dflt) {
            Object v = get(key);
            if (v == null) return dflt;
            if (!(v instanceof Boolean b)) throw missing(key, "a boolean");
            return b;
        }

        private JllmException missing(String key, String what) {
            Object v = get(key);
            return new JllmException(source + ": metadata key '" + key + "' must be " + what
                    + (v == null ? " but is missing" : ", got " + v));
        }
    }
}
