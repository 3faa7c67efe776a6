package dev.jllm.model.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufFile;
import dev.jllm.core.gguf.GgufWriter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Byte-level BPE vocabularies (GPT-2 style: GGUF {@code tokenizer.ggml.model = "gpt2"}) in both directions.
 * The GGUF side names its pre-tokenizer ({@code tokenizer.ggml.pre}); the Hugging Face side spells it out as a
 * Split regex in front of a ByteLevel step. Only the pre-tokenizers whose regex and normalizer are known on both
 * sides are converted, because a guessed pipeline would tokenize differently without any error.
 */
final class ByteLevelBpeVocab {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int NORMAL = 1, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5;

    /** A pre-tokenizer known on both sides: its GGUF name, its HF Split regex (null: ByteLevel's own GPT-2 regex). */
    enum Pre {
        LLAMA3("llama-bpe", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
                null, true),
        QWEN2("qwen2", "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
                "NFC", false),
        GPT2("gpt2", null, null, false);

        final String ggufName;
        final String splitRegex;
        final String normalizer;
        /** Llama 3's tokenizer.json sets ignore_merges: a word that is itself a token is not split by merges. */
        final boolean ignoreMerges;

        Pre(String ggufName, String splitRegex, String normalizer, boolean ignoreMerges) {
            this.ggufName = ggufName;
            this.splitRegex = splitRegex;
            this.normalizer = normalizer;
            this.ignoreMerges = ignoreMerges;
        }

        static Optional<Pre> byGgufName(String name) {
            return switch (name) {
                case "llama-bpe", "llama3", "llama-v3" -> Optional.of(LLAMA3);
                case "qwen2" -> Optional.of(QWEN2);
                case "default", "gpt2", "gpt-2" -> Optional.of(GPT2);
                default -> Optional.empty();
            };
        }
    }

    private ByteLevelBpeVocab() {}

    /** True when {@code tokenizer.json}'s model is a byte-level BPE (no byte fallback, a ByteLevel pre-tokenizer). */
    static boolean isByteLevel(JsonNode root) {
        JsonNode model = root.path("model");
        return "BPE".equals(model.path("type").asText()) && !model.path("byte_fallback").asBoolean(false)
                && root.path("pre_tokenizer").toString().contains("\"type\":\"ByteLevel\"");
    }

    // ------------------------------------------------------------------------------------------ HF -> GGUF

    /**
     * Writes {@code tokenizer.json}'s byte-level vocabulary as {@code tokenizer.ggml.*} metadata into {@code w};
     * empty, or why it could not (then nothing is written).
     */
    static Optional<String> write(Path file, JsonNode root, JsonNode config, GgufWriter w) {
        Optional<Pre> pre = preOf(root);
        if (pre.isEmpty()) {
            return Optional.of("tokenizer not converted: " + file + " has a byte-level pre-tokenizer/normalizer pipeline with no "
                    + "llama.cpp name (converted: Llama 3 'llama-bpe', Qwen2 'qwen2', GPT-2 'gpt2')");
        }
        JsonNode model = root.path("model");
        Map<Integer, String> byId = new HashMap<>();
        model.path("vocab").properties().forEach(e -> byId.put(e.getValue().asInt(), e.getKey()));
        Map<Integer, Boolean> addedSpecial = new HashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            byId.put(id, t.path("content").asText());
            addedSpecial.put(id, t.path("special").asBoolean(false));
        }
        int n = byId.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] tokens = new String[n];
        int[] types = new int[n];
        Map<String, Integer> ids = new HashMap<>();
        for (var e : byId.entrySet()) {
            if (e.getKey() < 0) throw new JllmException(file + ": token id " + e.getKey() + " is negative");
            tokens[e.getKey()] = e.getValue();
            ids.putIfAbsent(e.getValue(), e.getKey());
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                // llama.cpp's converter fills holes in the id range the same way, as never-produced tokens
                tokens[i] = "[PAD" + i + "]";
                types[i] = UNUSED;
            } else if (addedSpecial.containsKey(i)) {
                types[i] = addedSpecial.get(i) ? CONTROL : USER_DEFINED;
            } else {
                types[i] = NORMAL;
            }
        }
        JsonNode mergesNode = model.path("merges");
        String[] merges = new String[mergesNode.size()];
        for (int i = 0; i < merges.length; i++) {
            JsonNode m = mergesNode.get(i);
            String left, right;
            if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else {
                String s = m.asText();
                int sp = s.indexOf(' ', 1);
                if (!m.isTextual() || sp < 0) throw new JllmException(file + ": model.merges[" + i + "]: expected \"left right\" or [left, right]");
                left = s.substring(0, sp);
                right = s.substring(sp + 1);
            }
            // GGUF stores "left right"; a space inside a piece would make that ambiguous (byte-level pieces spell it Ġ)
            if (left.contains(" ") || right.contains(" ")) throw new JllmException(file + ": model.merges[" + i + "] contains a space inside a piece");
            merges[i] = left + " " + right;
        }
        Template template = Template.of(root.path("post_processor"), ids, file);
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", pre.get().ggufName);
        w.putStrings("tokenizer.ggml.tokens", tokens);
        w.putInt32s("tokenizer.ggml.token_type", types);
        w.putStrings("tokenizer.ggml.merges", merges);
        Integer bos = template.bos != null ? template.bos : idOf(config, "bos_token", ids);
        Integer eos = template.eos != null ? template.eos : idOf(config, "eos_token", ids);
        if (bos != null) w.putUInt32("tokenizer.ggml.bos_token_id", bos);
        if (eos != null) w.putUInt32("tokenizer.ggml.eos_token_id", eos);
        Integer pad = idOf(config, "pad_token", ids);
        if (pad != null) w.putUInt32("tokenizer.ggml.padding_token_id", pad);
        String unk = model.path("unk_token").isTextual() ? model.path("unk_token").asText() : null;
        if (unk != null && ids.containsKey(unk)) w.putUInt32("tokenizer.ggml.unknown_token_id", ids.get(unk));
        // What encode(add_special_tokens=True) does is the post-processor's business, not tokenizer_config's flags.
        w.putBool("tokenizer.ggml.add_bos_token", template.bos != null);
        w.putBool("tokenizer.ggml.add_eos_token", template.eos != null);
        if (config.path("chat_template").isTextual()) w.putString("tokenizer.chat_template", config.path("chat_template").asText());
        return Optional.empty();
    }

    /** The pre-tokenizer named by tokenizer.json's normalizer and Split regex, if llama.cpp knows it. */
    static Optional<Pre> preOf(JsonNode root) {
        JsonNode pre = root.path("pre_tokenizer");
        String normalizer = root.path("normalizer").isObject() ? root.path("normalizer").path("type").asText() : null;
        String regex = null;
        if ("ByteLevel".equals(pre.path("type").asText())) {
            if (!pre.path("use_regex").asBoolean(true) || pre.path("add_prefix_space").asBoolean(false)) return Optional.empty();
        } else if ("Sequence".equals(pre.path("type").asText()) && pre.path("pretokenizers").size() == 2) {
            JsonNode split = pre.path("pretokenizers").get(0), bl = pre.path("pretokenizers").get(1);
            if (!"Split".equals(split.path("type").asText()) || !"Isolated".equals(split.path("behavior").asText())
                    || split.path("invert").asBoolean(false) || !"ByteLevel".equals(bl.path("type").asText())
                    || bl.path("use_regex").asBoolean(true) || bl.path("add_prefix_space").asBoolean(false)) {
                return Optional.empty();
            }
            regex = split.path("pattern").path("Regex").asText(null);
        } else {
            return Optional.empty();
        }
        boolean ignoreMerges = root.path("model").path("ignore_merges").asBoolean(false);
        for (Pre p : Pre.values()) {
            if (Objects.equals(p.splitRegex, regex) && Objects.equals(p.normalizer, normalizer)
                    && p.ignoreMerges == ignoreMerges) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static Integer idOf(JsonNode config, String field, Map<String, Integer> ids) {
        JsonNode v = config.get(field);
        if (v == null || v.isNull()) return null;
        String token = v.isTextual() ? v.asText() : v.path("content").asText(null);
        return token == null ? null : ids.get(token);
    }

    /** The special tokens a TemplateProcessing (alone or inside a Sequence) puts before and after a single text. */
    private record Template(Integer bos, Integer eos) {
        static Template of(JsonNode post, Map<String, Integer> ids, Path file) {
            JsonNode template = null;
            if ("TemplateProcessing".equals(post.path("type").asText())) template = post;
            for (JsonNode p : post.path("processors")) {
                if ("TemplateProcessing".equals(p.path("type").asText())) template = p;
            }
            if (template == null) return new Template(null, null);
            JsonNode single = template.path("single");
            Integer bos = null, eos = null;
            boolean seenSequence = false;
            for (JsonNode piece : single) {
                if (piece.has("Sequence")) {
                    seenSequence = true;
                    continue;
                }
                String name = piece.path("SpecialToken").path("id").asText();
                JsonNode special = template.path("special_tokens").path(name).path("ids");
                Integer id = special.size() == 1 ? Integer.valueOf(special.get(0).asInt()) : ids.get(name);
                if (special.size() > 1 || id == null || (seenSequence ? eos : bos) != null) {
                    throw new JllmException(file + ": post_processor template " + single + " has no GGUF add_bos/add_eos equivalent");
                }
                if (seenSequence) eos = id;
                else bos = id;
            }
            return new Template(bos, eos);
        }
    }

    // ------------------------------------------------------------------------------------------ GGUF -> HF

    /** The Hugging Face tokenizer files of a GGUF byte-level vocabulary. */
    static final class HfFiles {
        private final String[] tokens;
        private final int[] types;
        private final String[] merges;
        private final Pre pre;
        private final Integer bos, eos, pad, unk;
        private final boolean addBos, addEos;
        private final long contextLength;
        private final String chatTemplate;

        /** Reads the vocabulary; empty when its pre-tokenizer has no known Hugging Face pipeline. */
        static Optional<HfFiles> of(GgufFile gguf, long contextLength) {
            return Pre.byGgufName(gguf.optString("tokenizer.ggml.pre").orElse("default")).map(p -> new HfFiles(gguf, p, contextLength));
        }

        private HfFiles(GgufFile gguf, Pre pre, long contextLength) {
            String source = gguf.path().toString();
            this.pre = pre;
            tokens = gguf.strings("tokenizer.ggml.tokens");
            types = gguf.has("tokenizer.ggml.token_type") ? gguf.ints("tokenizer.ggml.token_type") : new int[tokens.length];
            if (types.length != tokens.length) {
                throw new JllmException(source + ": field tokenizer.ggml.token_type has " + types.length + " entries for " + tokens.length + " tokens");
            }
            if (!gguf.has("tokenizer.ggml.merges")) throw new JllmException(source + ": field tokenizer.ggml.merges is missing");
            merges = gguf.strings("tokenizer.ggml.merges");
            for (int i = 0; i < merges.length; i++) {
                if (merges[i].indexOf(' ', 1) < 0) throw new JllmException(source + ": field tokenizer.ggml.merges[" + i + "]: expected \"left right\"");
            }
            bos = id(gguf, "tokenizer.ggml.bos_token_id", source);
            eos = id(gguf, "tokenizer.ggml.eos_token_id", source);
            pad = id(gguf, "tokenizer.ggml.padding_token_id", source);
            unk = id(gguf, "tokenizer.ggml.unknown_token_id", source);
            addBos = bos != null && gguf.bool("tokenizer.ggml.add_bos_token", false);
            addEos = eos != null && gguf.bool("tokenizer.ggml.add_eos_token", false);
            this.contextLength = contextLength;
            chatTemplate = gguf.optString("tokenizer.chat_template").orElse(null);
        }

        private Integer id(GgufFile gguf, String key, String source) {
            if (!gguf.has(key)) return null;
            long v = gguf.integer(key);
            if (v == -1 || v == 0xFFFFFFFFL) return null;  // llama.cpp's "no such token"
            if (v < 0 || v >= tokens.length) throw new JllmException(source + ": field " + key + ": id " + v + " is out of range (vocabulary of " + tokens.length + ")");
            return (int) v;
        }

        private boolean added(int i) {
            return types[i] == CONTROL || types[i] == USER_DEFINED;
        }

        ObjectNode tokenizerJson() {
            ObjectNode root = JSON.createObjectNode();
            root.put("version", "1.0");
            root.putNull("truncation");
            root.putNull("padding");
            ArrayNode addedTokens = root.putArray("added_tokens");
            for (int i = 0; i < tokens.length; i++) {
                if (!added(i)) continue;
                addedTokens.addObject().put("id", i).put("content", tokens[i]).put("single_word", false).put("lstrip", false)
                        .put("rstrip", false).put("normalized", false).put("special", types[i] == CONTROL);
            }
            if (pre.normalizer != null) root.putObject("normalizer").put("type", pre.normalizer);
            else root.putNull("normalizer");
            if (pre.splitRegex == null) {
                byteLevel(root.putObject("pre_tokenizer"), false, true, true);
            } else {
                ObjectNode seq = root.putObject("pre_tokenizer").put("type", "Sequence");
                ArrayNode steps = seq.putArray("pretokenizers");
                ObjectNode split = steps.addObject().put("type", "Split");
                split.putObject("pattern").put("Regex", pre.splitRegex);
                split.put("behavior", "Isolated").put("invert", false);
                byteLevel(steps.addObject(), false, pre.ignoreMerges, false);
            }
            if (addBos || addEos) {
                ObjectNode seq = root.putObject("post_processor").put("type", "Sequence");
                ArrayNode procs = seq.putArray("processors");
                byteLevel(procs.addObject(), true, false, true);
                procs.add(template());
            } else {
                byteLevel(root.putObject("post_processor"), false, false, false);
            }
            byteLevel(root.putObject("decoder"), false, false, false);
            ObjectNode model = root.putObject("model");
            model.put("type", "BPE");
            model.putNull("dropout");
            if (unk != null) model.put("unk_token", tokens[unk]);
            else model.putNull("unk_token");
            model.putNull("continuing_subword_prefix");
            model.putNull("end_of_word_suffix");
            model.put("fuse_unk", false);
            model.put("byte_fallback", false);
            model.put("ignore_merges", pre.ignoreMerges);
            ObjectNode vocab = model.putObject("vocab");
            for (int i = 0; i < tokens.length; i++) {
                if (!added(i)) vocab.put(tokens[i], i);
            }
            ArrayNode mergeArray = model.putArray("merges");
            for (String m : merges) {
                int sp = m.indexOf(' ', 1);
                mergeArray.addArray().add(m.substring(0, sp)).add(m.substring(sp + 1));
            }
            return root;
        }

        private static void byteLevel(ObjectNode node, boolean addPrefixSpace, boolean trimOffsets, boolean useRegex) {
            node.put("type", "ByteLevel").put("add_prefix_space", addPrefixSpace).put("trim_offsets", trimOffsets).put("use_regex", useRegex);
        }

        private ObjectNode template() {
            ObjectNode t = JSON.createObjectNode();
            t.put("type", "TemplateProcessing");
            ArrayNode single = t.putArray("single");
            ArrayNode pair = t.putArray("pair");
            for (int typeId = 0; typeId < 2; typeId++) {
                for (ArrayNode a : typeId == 0 ? List.of(single, pair) : List.of(pair)) {
                    if (addBos) a.addObject().putObject("SpecialToken").put("id", tokens[bos]).put("type_id", typeId);
                    a.addObject().putObject("Sequence").put("id", typeId == 0 ? "A" : "B").put("type_id", typeId);
                    if (addEos) a.addObject().putObject("SpecialToken").put("id", tokens[eos]).put("type_id", typeId);
                }
            }
            ObjectNode specials = t.putObject("special_tokens");
            List<Integer> used = new ArrayList<>();
            if (addBos) used.add(bos);
            if (addEos && !used.contains(eos)) used.add(eos);
            for (int id : used) {
                ObjectNode s = specials.putObject(tokens[id]);
                s.put("id", tokens[id]);
                s.putArray("ids").add(id);
                s.putArray("tokens").add(tokens[id]);
            }
            return t;
        }

        ObjectNode tokenizerConfig() {
            ObjectNode c = JSON.createObjectNode();
            c.put("add_bos_token", addBos);
            c.put("add_eos_token", addEos);
            ObjectNode decoder = c.putObject("added_tokens_decoder");
            for (int i = 0; i < tokens.length; i++) {
                if (!added(i)) continue;
                decoder.putObject(Integer.toString(i)).put("content", tokens[i]).put("lstrip", false).put("normalized", false)
                        .put("rstrip", false).put("single_word", false).put("special", types[i] == CONTROL);
            }
            putToken(c, "bos_token", bos);
            putToken(c, "eos_token", eos);
            putToken(c, "pad_token", pad);
            putToken(c, "unk_token", unk);
            c.put("clean_up_tokenization_spaces", false);
            c.put("model_max_length", contextLength);
            c.put("tokenizer_class", "PreTrainedTokenizerFast");
            if (chatTemplate != null) c.put("chat_template", chatTemplate);
            return c;
        }

        ObjectNode specialTokensMap() {
            ObjectNode m = JSON.createObjectNode();
            if (bos != null) m.put("bos_token", tokens[bos]);
            if (eos != null) m.put("eos_token", tokens[eos]);
            if (pad != null) m.put("pad_token", tokens[pad]);
            if (unk != null) m.put("unk_token", tokens[unk]);
            return m;
        }

        private void putToken(ObjectNode c, String field, Integer id) {
            if (id != null) c.put(field, tokens[id]);
            else c.putNull(field);
        }
    }
}
