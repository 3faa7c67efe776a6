package dev.jllm.text.wordpiece;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A WordPiece {@code tokenizer.json}. {@link #encode} returns ids with {@code [CLS] ... [SEP]} (the single-sequence
 * template) and truncates the word pieces so that the whole sequence fits {@code maxLength}.
 */
public final class WordPieceTokenizer {

    /** Token ids and their token type ids (all 0 for a single sequence). */
    public record Encoded(int[] ids, int[] typeIds) {}

    private final String source;
    private final Map<String, Integer> vocab;
    private final String[] byId;
    private final int unkId;
    private final String prefix;
    private final int maxInputCharsPerWord;
    private final boolean cleanText, chineseChars, stripAccents, lowercase;
    private final int[] prefixIds, suffixIds;
    private final Map<String, Integer> specialTokens;
    private final int truncation;

    private WordPieceTokenizer(String source, JsonNode root) {
        this.source = source;
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            throw new JllmException(source + ": field 'model.type' is '" + model.path("type").asText() + "', expected WordPiece");
        }
        vocab = new HashMap<>();
        JsonNode v = model.get("vocab");
        if (v == null || !v.isObject()) throw new JllmException(source + ": field 'model.vocab' is missing");
        int max = -1;
        for (var it = v.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
            max = Math.max(max, e.getValue().asInt());
        }
        byId = new String[max + 1];
        vocab.forEach((k, id) -> byId[id] = k);
        String unk = model.path("unk_token").asText("[UNK]");
        Integer u = vocab.get(unk);
        if (u == null) throw new JllmException(source + ": unk_token '" + unk + "' is not in the vocabulary");
        unkId = u;
        prefix = model.path("continuing_subword_prefix").asText("##");
        maxInputCharsPerWord = model.path("max_input_chars_per_word").asInt(100);

        JsonNode norm = root.path("normalizer");
        if (!norm.isMissingNode() && !norm.isNull() && !"BertNormalizer".equals(norm.path("type").asText())) {
            throw new JllmException(source + ": normalizer type '" + norm.path("type").asText() + "' is not supported (BertNormalizer only)");
        }
        boolean hasNorm = !norm.isMissingNode() && !norm.isNull();
        cleanText = hasNorm && norm.path("clean_text").asBoolean(true);
        chineseChars = hasNorm && norm.path("handle_chinese_chars").asBoolean(true);
        lowercase = hasNorm && norm.path("lowercase").asBoolean(true);
        JsonNode sa = norm.path("strip_accents");
        stripAccents = hasNorm && (sa.isBoolean() ? sa.asBoolean() : lowercase);

        specialTokens = new HashMap<>();
        for (JsonNode t : root.path("added_tokens")) {
            if (t.path("special").asBoolean(false)) specialTokens.put(t.path("content").asText(), t.path("id").asInt());
        }
        JsonNode post = root.path("post_processor");
        List<Integer> before = new ArrayList<>(), after = new ArrayList<>();
        switch (post.path("type").asText("")) {
            case "TemplateProcessing" -> {
                boolean seenA = false;
                for (JsonNode piece : post.path("single")) {
                    if (piece.has("Sequence")) {
                        seenA = true;
                    } else {
                        String id = piece.path("SpecialToken").path("id").asText();
                        JsonNode ids = post.path("special_tokens").path(id).path("ids");
                        if (!ids.isArray()) throw new JllmException(source + ": post_processor special token '" + id + "' has no ids");
                        for (JsonNode i : ids) (seenA ? after : before).add(i.asInt());
                    }
                }
            }
            case "BertProcessing" -> {
                before.add(post.path("cls").get(1).asInt());
                after.add(post.path("sep").get(1).asInt());
            }
            case "" -> {
            }
            default -> throw new JllmException(source + ": post_processor type '" + post.path("type").asText() + "' is not supported");
        }
        prefixIds = before.stream().mapToInt(Integer::intValue).toArray();
        suffixIds = after.stream().mapToInt(Integer::intValue).toArray();
        JsonNode tr = root.path("truncation");
        truncation = tr.isObject() ? tr.path("max_length").asInt(0) : 0;
    }

    public static WordPieceTokenizer load(Path file) {
        if (Files.isDirectory(file)) file = file.resolve("tokenizer.json");
        try {
            return new WordPieceTokenizer(file.toString(), new ObjectMapper().readTree(file.toFile()));
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read tokenizer: " + e.getMessage(), e);
        }
    }

    /** Whether a tokenizer.json declares a WordPiece model. */
    public static boolean isWordPiece(Path file) {
        if (Files.isDirectory(file)) file = file.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) return false;
        try {
            return "WordPiece".equals(new ObjectMapper().readTree(file.toFile()).path("model").path("type").asText());
        } catch (IOException e) {
            return false;
        }
    }

    /** The truncation length the tokenizer.json declares, 0 when none. */
    public int declaredTruncation() {
        return truncation;
    }

    public int vocabSize() {
        return byId.length;
    }

    public String token(int id) {
        return id >= 0 && id < byId.length && byId[id] != null ? byId[id] : null;
    }

    /** The ids the single-sequence template puts around the text ([CLS] and [SEP] for BERT). */
    public java.util.Set<Integer> templateIds() {
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (int id : prefixIds) ids.add(id);
        for (int id : suffixIds) ids.add(id);
        return ids;
    }

    public boolean isSpecial(int id) {
        return specialTokens.containsValue(id);
    }

    /** Encodes with the template; {@code maxLength} > 0 truncates the text's pieces so the total fits. */
    public Encoded encode(String text, int maxLength) {
        List<Integer> pieces = new ArrayList<>();
        for (String segment : splitOnSpecial(text)) {
            Integer special = specialTokens.get(segment);
            if (special != null) {
                pieces.add(special);
                continue;
            }
            for (String word : preTokenize(normalize(segment))) wordPieces(word, pieces);
        }
        int room = pieces.size();
        if (maxLength > 0) {
            room = Math.max(0, Math.min(room, maxLength - prefixIds.length - suffixIds.length));
        }
        int[] ids = new int[prefixIds.length + room + suffixIds.length];
        System.arraycopy(prefixIds, 0, ids, 0, prefixIds.length);
        for (int i = 0; i < room; i++) ids[prefixIds.length + i] = pieces.get(i);
        System.arraycopy(suffixIds, 0, ids, prefixIds.length + room, suffixIds.length);
        return new Encoded(ids, new int[ids.length]);
    }

    /** Splits out special tokens typed in the text (HF matches them before normalization). */
    private List<String> splitOnSpecial(String text) {
        List<String> out = new ArrayList<>();
        int start = 0, i = 0;
        outer:
        while (i < text.length()) {
            for (String s : specialTokens.keySet()) {
                if (!s.isEmpty() && text.startsWith(s, i)) {
                    if (i > start) out.add(text.substring(start, i));
                    out.add(s);
                    i += s.length();
                    start = i;
                    continue outer;
                }
            }
            i++;
        }
        if (start < text.length()) out.add(text.substring(start));
        return out;
    }

    String normalize(String s) {
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            if (cleanText) {
                if (c == 0 || c == 0xFFFD || isControl(c)) return;
                if (isWhitespace(c)) {
                    b.append(' ');
                    return;
                }
            }
            if (chineseChars && isChinese(c)) {
                b.append(' ').appendCodePoint(c).append(' ');
                return;
            }
            b.appendCodePoint(c);
        });
        String out = b.toString();
        if (stripAccents) {
            String nfd = Normalizer.normalize(out, Normalizer.Form.NFD);
            StringBuilder k = new StringBuilder(nfd.length());
            nfd.codePoints().filter(c -> Character.getType(c) != Character.NON_SPACING_MARK).forEach(k::appendCodePoint);
            out = k.toString();
        }
        // Rust's char::to_lowercase, applied per character (no locale rules).
        if (lowercase) out = out.toLowerCase(java.util.Locale.ROOT);
        return out;
    }

    /** Whitespace splits and is dropped; each punctuation character is a word of its own. */
    static List<String> preTokenize(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (isWhitespace(c)) {
                flush(cur, words);
            } else if (isPunctuation(c)) {
                flush(cur, words);
                words.add(new String(Character.toChars(c)));
            } else {
                cur.appendCodePoint(c);
            }
        }
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) {
            words.add(cur.toString());
            cur.setLength(0);
        }
    }

    private void wordPieces(String word, List<Integer> out) {
        if (word.codePointCount(0, word.length()) > maxInputCharsPerWord) {
            out.add(unkId);
            return;
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String sub = (start > 0 ? prefix : "") + word.substring(start, end);
                found = vocab.get(sub);
                if (found != null) break;
                end = word.offsetByCodePoints(end, -1);
            }
            if (found == null) {
                out.add(unkId);
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces);
    }

    static boolean isWhitespace(int c) {
        if (c == '\t' || c == '\n' || c == '\r' || c == ' ') return true;
        // Rust's char::is_whitespace: the Unicode White_Space property.
        return c == 0x0B || c == 0x0C || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A)
                || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
    }

    static boolean isControl(int c) {
        if (c == '\t' || c == '\n' || c == '\r') return false;
        int t = Character.getType(c);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.UNASSIGNED || t == Character.PRIVATE_USE;
    }

    static boolean isPunctuation(int c) {
        if (c < 128 && ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))) return true;
        int t = Character.getType(c);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION || t == Character.FINAL_QUOTE_PUNCTUATION
                || t == Character.OTHER_PUNCTUATION;
    }

    static boolean isChinese(int c) {
        return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF)
                || (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF)
                || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
    }
}
