package dev.jllm.text.tokenizer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads Hugging Face tokenizer.json files (and tokenizer_config.json next to them). */
final class TokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;

    private TokenizerJson(Path file) {
        this.file = file;
    }

    static Tokenizer load(Path file) {
        JsonNode root = readJson(file);
        TokenizerConfig config = readConfig(file.toAbsolutePath().getParent());
        return new TokenizerJson(file).build(root, config);
    }

    static JsonNode readJson(Path file) {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new JllmException(file + ": expected a JSON object");
            return n;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new JllmException(file + ": malformed JSON" + (loc != null ? " at line " + loc.getLineNr() + ", column " + loc.getColumnNr() : "")
                    + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private JllmException bad(String field, String what) {
        return new JllmException(file + ": field " + field + ": " + what);
    }

    private Tokenizer build(JsonNode root, TokenizerConfig config) {
        JsonNode modelNode = root.get("model");
        if (modelNode == null || !modelNode.isObject()) throw bad("model", "missing or not an object");
        PreTokenizer pre = preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
        Normalizer normalizer = normalizer(root.get("normalizer"), "normalizer");
        BpeModel model = model(modelNode, pre != null && pre.byteLevel(), decoderIsByteLevel(root.get("decoder")));
        List<AddedToken> added = addedTokens(root.get("added_tokens"));
        PostProcessor post = postProcessor(root.get("post_processor"), "post_processor");
        Decoder decoder = decoder(root.get("decoder"), "decoder");
        return new Tokenizer(file.toString(), added, normalizer, pre, model, post, decoder, config, Set.of());
    }

    private static boolean decoderIsByteLevel(JsonNode d) {
        return d != null && d.toString().contains("\"ByteLevel\"");
    }

    private static String type(JsonNode n) {
        JsonNode t = n.get("type");
        return t == null ? null : t.asText();
    }

    // ---------------------------------------------------------------- model

    private BpeModel model(JsonNode m, boolean byteLevelPre, boolean byteLevelDecoder) {
        String type = type(m);
        if (type == null && m.has("merges")) type = "BPE"; // old files omit the type of BPE models
        if (!"BPE".equals(type)) throw bad("model.type", "unsupported model type \"" + type + "\" (supported: BPE)");
        if (m.hasNonNull("dropout") && m.get("dropout").asDouble() != 0) {
            throw bad("model.dropout", "BPE dropout is random and not supported for exact tokenization");
        }
        JsonNode vocabNode = m.get("vocab");
        if (vocabNode == null || !vocabNode.isObject()) throw bad("model.vocab", "missing or not an object");
        Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().canConvertToInt() || e.getValue().asInt() < 0) {
                throw bad("model.vocab[\"" + e.getKey() + "\"]", "expected a non-negative integer id");
            }
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        JsonNode mergesNode = m.get("merges");
        if (mergesNode == null || !mergesNode.isArray()) throw bad("model.merges", "missing or not an array");
        List<String[]> merges = new ArrayList<>(mergesNode.size());
        for (int i = 0; i < mergesNode.size(); i++) {
            JsonNode mn = mergesNode.get(i);
            if (mn.isTextual()) {
                String s = mn.asText();
                int sp = s.indexOf(' ', 1);
                if (sp < 0) throw bad("model.merges[" + i + "]", "expected \"left right\", got \"" + s + "\"");
                merges.add(new String[]{s.substring(0, sp), s.substring(sp + 1)});
            } else if (mn.isArray() && mn.size() == 2) {
                merges.add(new String[]{mn.get(0).asText(), mn.get(1).asText()});
            } else {
                throw bad("model.merges[" + i + "]", "expected \"left right\" or [left, right]");
            }
        }
        String prefix = text(m, "continuing_subword_prefix");
        String suffix = text(m, "end_of_word_suffix");
        MergeTable table = BpeModel.mergesFromList(vocab, merges, prefix, file + ": model.merges");
        String unk = text(m, "unk_token");
        int unkId = -1;
        if (unk != null) {
            Integer id = vocab.get(unk);
            if (id == null) throw bad("model.unk_token", "\"" + unk + "\" is not in the vocabulary");
            unkId = id;
        }
        boolean byteLevel = byteLevelPre;
        if (!byteLevelPre && byteLevelDecoder) {
            throw bad("pre_tokenizer", "a ByteLevel decoder without a ByteLevel pre-tokenizer is not supported");
        }
        return new BpeModel(vocab, table, byteLevel, m.path("byte_fallback").asBoolean(false), unkId,
                m.path("fuse_unk").asBoolean(false), m.path("ignore_merges").asBoolean(false), prefix, suffix, null);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    private List<AddedToken> addedTokens(JsonNode n) {
        List<AddedToken> out = new ArrayList<>();
        if (n == null || n.isNull()) return out;
        if (!n.isArray()) throw bad("added_tokens", "expected an array");
        for (int i = 0; i < n.size(); i++) {
            JsonNode t = n.get(i);
            if (!t.has("id") || !t.has("content")) throw bad("added_tokens[" + i + "]", "needs \"id\" and \"content\"");
            out.add(new AddedToken(t.get("id").asInt(), t.get("content").asText(), t.path("special").asBoolean(false),
                    t.path("single_word").asBoolean(false), t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                    t.path("normalized").asBoolean(!t.path("special").asBoolean(false))));
        }
        return out;
    }

    // ---------------------------------------------------------------- normalizers

    private Normalizer normalizer(JsonNode n, String field) {
        if (n == null || n.isNull()) return null;
        String type = type(n);
        if (type == null) throw bad(field + ".type", "missing");
        return switch (type) {
            case "NFC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFC);
            case "NFD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFD);
            case "NFKC" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD" -> new Normalizer.Unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase" -> new Normalizer.Lowercase();
            case "Prepend" -> new Normalizer.Prepend(requireText(n, "prepend", field));
            case "Replace" -> {
                JsonNode pattern = n.get("pattern");
                String content = requireText(n, "content", field);
                if (pattern != null && pattern.has("String")) yield new Normalizer.Replace(null, pattern.get("String").asText(), content);
                yield new Normalizer.Replace(regex(pattern, field + ".pattern"), null, content);
            }
            case "Strip" -> new Normalizer.Strip(n.path("strip_left").asBoolean(true), n.path("strip_right").asBoolean(true));
            case "Sequence" -> {
                JsonNode list = n.get("normalizers");
                if (list == null || !list.isArray()) throw bad(field + ".normalizers", "missing or not an array");
                List<Normalizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) steps.add(normalizer(list.get(i), field + ".normalizers[" + i + "]"));
                yield new Normalizer.Sequence(steps);
            }
            default -> throw bad(field + ".type", "unsupported normalizer \"" + type
                    + "\" (supported: NFC, NFD, NFKC, NFKD, Lowercase, Prepend, Replace, Strip, Sequence)");
        };
    }

    private String requireText(JsonNode n, String key, String field) {
        JsonNode v = n.get(key);
        if (v == null || !v.isTextual()) throw bad(field + "." + key, "missing or not a string");
        return v.asText();
    }

    private Pattern regex(JsonNode pattern, String field) {
        if (pattern == null || !pattern.has("Regex")) throw bad(field, "expected {\"String\": ...} or {\"Regex\": ...}");
        try {
            return OnigurumaRegex.compile(pattern.get("Regex").asText());
        } catch (IllegalArgumentException e) {
            throw bad(field, e.getMessage());
        }
    }

    // ---------------------------------------------------------------- pre-tokenizers

    private PreTokenizer preTokenizer(JsonNode n, String field) {
        if (n == null || n.isNull()) return null;
        String type = type(n);
        if (type == null) throw bad(field + ".type", "missing");
        return switch (type) {
            case "ByteLevel" -> new PreTokenizer.ByteLevel(n.path("add_prefix_space").asBoolean(true),
                    n.path("use_regex").asBoolean(true) ? SplitMatchers.gpt2() : null);
            case "Split" -> {
                JsonNode pattern = n.get("pattern");
                PreTokenizer.MatchFinder finder;
                if (pattern != null && pattern.has("String")) {
                    String lit = pattern.get("String").asText();
                    finder = new PreTokenizer.RegexFinder(Pattern.compile(Pattern.quote(lit)));
                } else {
                    String source = pattern == null ? null : pattern.path("Regex").asText(null);
                    Pattern compiled = regex(pattern, field + ".pattern");
                    finder = SplitMatchers.forPattern(source, compiled);
                }
                yield new PreTokenizer.Split(finder, behavior(n.path("behavior").asText("Isolated"), field + ".behavior"),
                        n.path("invert").asBoolean(false));
            }
            case "Metaspace" -> {
                String replacement = n.path("replacement").asText("\u2581");
                if (replacement.length() != 1) throw bad(field + ".replacement", "expected one character");
                PreTokenizer.PrependScheme scheme;
                if (n.has("prepend_scheme")) {
                    scheme = switch (n.get("prepend_scheme").asText()) {
                        case "always" -> PreTokenizer.PrependScheme.ALWAYS;
                        case "first" -> PreTokenizer.PrependScheme.FIRST;
                        case "never" -> PreTokenizer.PrependScheme.NEVER;
                        default -> throw bad(field + ".prepend_scheme", "expected always, first or never");
                    };
                } else {
                    scheme = n.path("add_prefix_space").asBoolean(true) ? PreTokenizer.PrependScheme.ALWAYS : PreTokenizer.PrependScheme.NEVER;
                }
                yield new PreTokenizer.Metaspace(replacement.charAt(0), scheme, n.path("split").asBoolean(true));
            }
            case "Whitespace" -> PreTokenizer.Whitespace.create();
            case "WhitespaceSplit" -> new PreTokenizer.WhitespaceSplit();
            case "Digits" -> new PreTokenizer.Digits(n.path("individual_digits").asBoolean(false));
            case "Punctuation" -> new PreTokenizer.Punctuation(behavior(n.path("behavior").asText("Isolated"), field + ".behavior"));
            case "Sequence" -> {
                JsonNode list = n.get("pretokenizers");
                if (list == null || !list.isArray()) throw bad(field + ".pretokenizers", "missing or not an array");
                List<PreTokenizer> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) {
                    PreTokenizer step = preTokenizer(list.get(i), field + ".pretokenizers[" + i + "]");
                    if (i > 0 && step.transforms()) {
                        throw bad(field + ".pretokenizers[" + i + "]", type(list.get(i)) + " that rewrites text is only supported first in a Sequence");
                    }
                    if (i < list.size() - 1 && step.byteLevel()) {
                        throw bad(field + ".pretokenizers[" + i + "]", "ByteLevel is only supported last in a Sequence");
                    }
                    steps.add(step);
                }
                yield new PreTokenizer.Sequence(steps);
            }
            default -> throw bad(field + ".type", "unsupported pre-tokenizer \"" + type
                    + "\" (supported: ByteLevel, Split, Metaspace, Whitespace, WhitespaceSplit, Digits, Punctuation, Sequence)");
        };
    }

    private PreTokenizer.Behavior behavior(String s, String field) {
        return switch (s) {
            case "Removed" -> PreTokenizer.Behavior.REMOVED;
            case "Isolated" -> PreTokenizer.Behavior.ISOLATED;
            case "MergedWithPrevious" -> PreTokenizer.Behavior.MERGED_WITH_PREVIOUS;
            case "MergedWithNext" -> PreTokenizer.Behavior.MERGED_WITH_NEXT;
            case "Contiguous" -> PreTokenizer.Behavior.CONTIGUOUS;
            default -> throw bad(field, "unknown split behavior \"" + s + "\"");
        };
    }

    // ---------------------------------------------------------------- post-processors

    private PostProcessor postProcessor(JsonNode n, String field) {
        if (n == null || n.isNull()) return null;
        String type = type(n);
        if (type == null) throw bad(field + ".type", "missing");
        return switch (type) {
            case "ByteLevel" -> new PostProcessor.ByteLevel(n.path("trim_offsets").asBoolean(true));
            case "TemplateProcessing" -> {
                JsonNode single = n.get("single");
                if (single == null || !single.isArray()) throw bad(field + ".single", "missing or not an array");
                JsonNode specials = n.path("special_tokens");
                List<PostProcessor.TemplatePiece> pieces = new ArrayList<>();
                for (int i = 0; i < single.size(); i++) {
                    JsonNode p = single.get(i);
                    if (p.has("Sequence")) {
                        pieces.add(new PostProcessor.TemplatePiece(null, p.get("Sequence").path("type_id").asInt(0)));
                    } else if (p.has("SpecialToken")) {
                        String id = p.get("SpecialToken").path("id").asText();
                        JsonNode st = specials.get(id);
                        if (st == null || !st.path("ids").isArray()) throw bad(field + ".special_tokens", "no entry for \"" + id + "\"");
                        int[] ids = new int[st.get("ids").size()];
                        for (int k = 0; k < ids.length; k++) ids[k] = st.get("ids").get(k).asInt();
                        pieces.add(new PostProcessor.TemplatePiece(ids, p.get("SpecialToken").path("type_id").asInt(0)));
                    } else {
                        throw bad(field + ".single[" + i + "]", "expected Sequence or SpecialToken");
                    }
                }
                yield new PostProcessor.Template(pieces);
            }
            case "BertProcessing", "RobertaProcessing" -> {
                // single sequence: cls A sep
                List<PostProcessor.TemplatePiece> pieces = List.of(
                        new PostProcessor.TemplatePiece(new int[]{pairId(n, "cls", field)}, 0),
                        new PostProcessor.TemplatePiece(null, 0),
                        new PostProcessor.TemplatePiece(new int[]{pairId(n, "sep", field)}, 0));
                PostProcessor template = new PostProcessor.Template(pieces);
                yield type.equals("BertProcessing") ? template : new PostProcessor.Sequence(
                        List.of(new PostProcessor.ByteLevel(n.path("trim_offsets").asBoolean(true)), template));
            }
            case "Sequence" -> {
                JsonNode list = n.get("processors");
                if (list == null || !list.isArray()) throw bad(field + ".processors", "missing or not an array");
                List<PostProcessor> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) steps.add(postProcessor(list.get(i), field + ".processors[" + i + "]"));
                yield new PostProcessor.Sequence(steps);
            }
            default -> throw bad(field + ".type", "unsupported post-processor \"" + type
                    + "\" (supported: TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence)");
        };
    }

    /** The id of a ["token", id] pair (Bert/RobertaProcessing's cls and sep). */
    private int pairId(JsonNode n, String key, String field) {
        JsonNode v = n.get(key);
        if (v == null || !v.isArray() || v.size() != 2 || !v.get(1).canConvertToInt()) {
            throw bad(field + "." + key, "expected [\"token\", id]");
        }
        return v.get(1).asInt();
    }

    // ---------------------------------------------------------------- decoders

    private Decoder decoder(JsonNode n, String field) {
        if (n == null || n.isNull()) return null;
        String type = type(n);
        if (type == null) throw bad(field + ".type", "missing");
        return switch (type) {
            case "ByteLevel" -> new Decoder.ByteLevel();
            case "ByteFallback" -> new Decoder.ByteFallback();
            case "Fuse" -> new Decoder.Fuse();
            case "Strip" -> {
                String content = requireText(n, "content", field);
                if (content.codePointCount(0, content.length()) != 1) throw bad(field + ".content", "expected one character");
                yield new Decoder.Strip(content.codePointAt(0), n.path("start").asInt(0), n.path("stop").asInt(0));
            }
            case "Replace" -> {
                JsonNode pattern = n.get("pattern");
                String content = requireText(n, "content", field);
                if (pattern != null && pattern.has("String")) yield new Decoder.Replace(null, pattern.get("String").asText(), content);
                yield new Decoder.Replace(regex(pattern, field + ".pattern"), null, content);
            }
            case "Metaspace" -> {
                String replacement = n.path("replacement").asText("\u2581");
                boolean prepend = n.has("prepend_scheme") ? !"never".equals(n.get("prepend_scheme").asText())
                        : n.path("add_prefix_space").asBoolean(true);
                yield new Decoder.Metaspace(replacement.charAt(0), prepend);
            }
            case "Sequence" -> {
                JsonNode list = n.get("decoders");
                if (list == null || !list.isArray()) throw bad(field + ".decoders", "missing or not an array");
                List<Decoder> steps = new ArrayList<>();
                for (int i = 0; i < list.size(); i++) steps.add(decoder(list.get(i), field + ".decoders[" + i + "]"));
                yield new Decoder.Sequence(steps);
            }
            default -> throw bad(field + ".type", "unsupported decoder \"" + type
                    + "\" (supported: ByteLevel, Metaspace, ByteFallback, Fuse, Strip, Replace, Sequence)");
        };
    }

    // ---------------------------------------------------------------- tokenizer_config.json

    /** Reads tokenizer_config.json (and special_tokens_map.json) from a folder; empty settings when absent. */
    static TokenizerConfig readConfig(Path folder) {
        if (folder == null) return TokenizerConfig.empty();
        Path cfgFile = folder.resolve("tokenizer_config.json");
        Path mapFile = folder.resolve("special_tokens_map.json");
        JsonNode cfg = Files.isRegularFile(cfgFile) ? readJson(cfgFile) : JSON.createObjectNode();
        JsonNode map = Files.isRegularFile(mapFile) ? readJson(mapFile) : JSON.createObjectNode();
        String bos = tokenText(cfg, map, "bos_token", cfgFile);
        String eos = tokenText(cfg, map, "eos_token", cfgFile);
        String pad = tokenText(cfg, map, "pad_token", cfgFile);
        String unk = tokenText(cfg, map, "unk_token", cfgFile);
        Boolean addBos = cfg.hasNonNull("add_bos_token") ? cfg.get("add_bos_token").asBoolean() : null;
        Boolean addEos = cfg.hasNonNull("add_eos_token") ? cfg.get("add_eos_token").asBoolean() : null;
        long maxLen = Long.MAX_VALUE;
        JsonNode ml = cfg.get("model_max_length");
        if (ml != null && ml.isNumber()) {
            BigInteger v = ml.isIntegralNumber() ? ml.bigIntegerValue() : java.math.BigDecimal.valueOf(ml.asDouble()).toBigInteger();
            maxLen = v.bitLength() < 63 ? v.longValue() : Long.MAX_VALUE;
        }
        String paddingSide = cfg.path("padding_side").asText("right");
        String truncationSide = cfg.path("truncation_side").asText("right");
        if (!paddingSide.equals("left") && !paddingSide.equals("right")) {
            throw new JllmException(cfgFile + ": field padding_side: expected \"left\" or \"right\", got \"" + paddingSide + "\"");
        }
        boolean cleanUp = cfg.path("clean_up_tokenization_spaces").asBoolean(false);
        String template = null;
        Map<String, String> named = new LinkedHashMap<>();
        JsonNode ct = cfg.get("chat_template");
        if (ct != null && !ct.isNull()) {
            if (ct.isTextual()) {
                template = ct.asText();
            } else if (ct.isArray()) {
                for (int i = 0; i < ct.size(); i++) {
                    JsonNode e = ct.get(i);
                    if (!e.path("name").isTextual() || !e.path("template").isTextual()) {
                        throw new JllmException(cfgFile + ": field chat_template[" + i + "]: expected {\"name\": ..., \"template\": ...}");
                    }
                    named.put(e.get("name").asText(), e.get("template").asText());
                }
                template = named.get("default");
            } else {
                throw new JllmException(cfgFile + ": field chat_template: expected a string or a list of named templates");
            }
        }
        Path jinja = folder.resolve("chat_template.jinja");
        if (template == null && named.isEmpty() && Files.isRegularFile(jinja)) {
            // transformers >= 4.43 saves the template in its own file
            try {
                template = Files.readString(jinja);
            } catch (IOException e) {
                throw new JllmException(jinja + ": cannot read: " + e.getMessage(), e);
            }
        }
        return new TokenizerConfig(bos, eos, pad, unk, addBos, addEos, maxLen, paddingSide, truncationSide, cleanUp,
                template, Map.copyOf(named));
    }

    private static String tokenText(JsonNode cfg, JsonNode map, String key, Path cfgFile) {
        JsonNode v = cfg.hasNonNull(key) ? cfg.get(key) : map.get(key);
        if (v == null || v.isNull()) return null;
        if (v.isTextual()) return v.asText();
        if (v.isObject() && v.path("content").isTextual()) return v.get("content").asText();
        throw new JllmException(cfgFile + ": field " + key + ": expected a string or an AddedToken object with \"content\"");
    }
}
