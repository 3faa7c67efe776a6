package dev.jllm.model.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The reverse of {@link SentencePieceTokenizerJson}: a LlamaConverter-style {@code tokenizer.json} (byte-fallback
 * BPE behind the {@code ▁} normalizer) as GGUF {@code tokenizer.ggml.*} metadata of model "llama". SentencePiece
 * merges the adjacent pair whose joined piece has the highest score, so each piece gets the score
 * {@code -rank} of the first merge producing it, which makes the merge orders agree.
 */
final class SentencePieceGgufVocab {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, BYTE = 6;

    private SentencePieceGgufVocab() {}

    /** Writes the vocabulary of {@code folder}'s tokenizer files into {@code w}; empty, or why it could not. */
    static Optional<String> write(Path folder, GgufWriter w) {
        Path file = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) return Optional.of("tokenizer not converted: no tokenizer.json in " + folder);
        JsonNode root, config;
        try {
            root = JSON.readTree(file.toFile());
            Path cfg = folder.resolve("tokenizer_config.json");
            config = Files.isRegularFile(cfg) ? JSON.readTree(cfg.toFile()) : JSON.createObjectNode();
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read: " + e.getMessage(), e);
        }
        JsonNode model = root.path("model");
        boolean spm = "BPE".equals(model.path("type").asText()) && model.path("byte_fallback").asBoolean(false)
                && root.path("normalizer").toString().contains("\"prepend\":\"▁\"");
        if (!spm) {
            return Optional.of("tokenizer not converted: only SentencePiece-style (byte-fallback BPE with the ▁ prefix) "
                    + "tokenizer.json files are converted to GGUF metadata");
        }
        Map<Integer, String> byId = new HashMap<>();
        model.path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        Map<Integer, Boolean> addedSpecial = new HashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            byId.put(t.path("id").asInt(), t.path("content").asText());
            addedSpecial.put(t.path("id").asInt(), t.path("special").asBoolean(false));
        }
        int n = byId.size();
        String[] tokens = new String[n];
        Map<String, Integer> ids = new HashMap<>();
        for (var e : byId.entrySet()) {
            if (e.getKey() < 0 || e.getKey() >= n) {
                throw new JllmException(file + ": token ids are not 0.." + (n - 1) + " (found " + e.getKey() + ")");
            }
            tokens[e.getKey()] = e.getValue();
            ids.put(e.getValue(), e.getKey());
        }
        float[] scores = new float[n];
        boolean[] scored = new boolean[n];
        int rank = 0;
        for (JsonNode m : model.path("merges")) {
            String joined = m.isArray() ? m.get(0).asText() + m.get(1).asText() : m.asText().replaceFirst(" ", "");
            Integer id = ids.get(joined);
            if (id != null && !scored[id]) {
                scores[id] = -rank;
                scored[id] = true;
            }
            rank++;
        }
        String unkToken = model.path("unk_token").asText(null);
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            String t = tokens[i];
            if (t.equals(unkToken)) types[i] = UNKNOWN;
            else if (addedSpecial.containsKey(i)) types[i] = addedSpecial.get(i) ? CONTROL : USER_DEFINED;
            else if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) types[i] = BYTE;
            else types[i] = NORMAL;
            // Unmerged pieces rank below every merge result, as SentencePiece's scores are all negative.
            if (!scored[i]) scores[i] = -rank - 1;
        }
        w.putString("tokenizer.ggml.model", "llama");
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putFloat32s("tokenizer.ggml.scores", scores);
        w.putInt32s("tokenizer.ggml.token_type", types);
        putId(w, "tokenizer.ggml.unknown_token_id", unkToken, ids);
        putId(w, "tokenizer.ggml.bos_token_id", token(config, "bos_token"), ids);
        putId(w, "tokenizer.ggml.eos_token_id", token(config, "eos_token"), ids);
        putId(w, "tokenizer.ggml.padding_token_id", token(config, "pad_token"), ids);
        w.putBool("tokenizer.ggml.add_bos_token", config.path("add_bos_token").asBoolean(true));
        w.putBool("tokenizer.ggml.add_eos_token", config.path("add_eos_token").asBoolean(false));
        if (config.path("chat_template").isTextual()) w.putString("tokenizer.chat_template", config.path("chat_template").asText());
        return Optional.empty();
    }

    /** A special token of tokenizer_config.json: a string, or an AddedToken object with "content". */
    private static String token(JsonNode config, String field) {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) return null;
        return v.isTextual() ? v.asText() : v.path("content").asText(null);
    }

    private static void putId(GgufWriter w, String key, String token, Map<String, Integer> ids) {
        if (token != null && ids.containsKey(token)) w.putUInt32(key, ids.get(token));
    }
}
