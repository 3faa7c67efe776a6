package dev.jllm.model.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufFile;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the Hugging Face tokenizer files of a GGUF SentencePiece vocabulary ({@code tokenizer.ggml.model =
 * "llama"}) the way transformers' {@code LlamaConverter} does: a byte-fallback BPE over the GGUF ids, merges from
 * {@code generate_merges(vocab, scores)}, the legacy {@code ▁} normalizer and decoder, BOS/EOS by template.
 */
final class SentencePieceTokenizerJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4;

    private final String[] tokens;
    private final float[] scores;
    private final int[] types;
    private final int unk, bos, eos;
    private final Integer pad;
    private final boolean addBos, addEos;
    private final long contextLength;
    private final String chatTemplate;

    SentencePieceTokenizerJson(GgufFile gguf, long contextLength) {
        String source = gguf.path().toString();
        tokens = gguf.strings("tokenizer.ggml.tokens");
        scores = gguf.has("tokenizer.ggml.scores") ? gguf.floats("tokenizer.ggml.scores") : new float[tokens.length];
        types = gguf.has("tokenizer.ggml.token_type") ? gguf.ints("tokenizer.ggml.token_type") : new int[tokens.length];
        if (scores.length != tokens.length || types.length != tokens.length) {
            throw new JllmException(source + ": tokenizer.ggml.scores/token_type do not match tokenizer.ggml.tokens in length");
        }
        unk = id(gguf, "tokenizer.ggml.unknown_token_id", 0);
        bos = id(gguf, "tokenizer.ggml.bos_token_id", 1);
        eos = id(gguf, "tokenizer.ggml.eos_token_id", 2);
        int p = id(gguf, "tokenizer.ggml.padding_token_id", -1);
        pad = p >= 0 ? p : null;
        addBos = gguf.bool("tokenizer.ggml.add_bos_token", true);
        addEos = gguf.bool("tokenizer.ggml.add_eos_token", false);
        this.contextLength = contextLength;
        chatTemplate = gguf.optString("tokenizer.chat_template").orElse(null);
    }

    /** An id key, or the default when absent or out of range (llama.cpp writes -1 as 0xFFFFFFFF for "none"). */
    private int id(GgufFile gguf, String key, int dflt) {
        long v = gguf.optInteger(key).orElse(dflt);
        return v >= 0 && v < tokens.length ? (int) v : dflt;
    }

    ObjectNode tokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] != UNKNOWN && types[i] != CONTROL && types[i] != USER_DEFINED) continue;
            added.addObject().put("id", i).put("content", tokens[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", types[i] != USER_DEFINED);
        }
        ObjectNode norm = root.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode normalizers = norm.putArray("normalizers");
        normalizers.addObject().put("type", "Prepend").put("prepend", "▁");
        ObjectNode replace = normalizers.addObject().put("type", "Replace");
        replace.putObject("pattern").put("String", " ");
        replace.put("content", "▁");
        root.putNull("pre_tokenizer");
        root.set("post_processor", template());
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "Sequence");
        ArrayNode decoders = dec.putArray("decoders");
        ObjectNode r = decoders.addObject().put("type", "Replace");
        r.putObject("pattern").put("String", "▁");
        r.put("content", " ");
        decoders.addObject().put("type", "ByteFallback");
        decoders.addObject().put("type", "Fuse");
        decoders.addObject().put("type", "Strip").put("content", " ").put("start", 1).put("stop", 0);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", tokens[unk]);
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.length; i++) vocab.put(tokens[i], i);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : merges()) merges.addArray().add(m[0]).add(m[1]);
        return root;
    }

    private ObjectNode template() {
        ObjectNode t = JSON.createObjectNode();
        t.put("type", "TemplateProcessing");
        ArrayNode single = t.putArray("single");
        ArrayNode pair = t.putArray("pair");
        if (addBos) special(single, bos, 0);
        sequence(single, "A", 0);
        if (addEos) special(single, eos, 0);
        if (addBos) special(pair, bos, 0);
        sequence(pair, "A", 0);
        if (addEos) special(pair, eos, 0);
        if (addBos) special(pair, bos, 1);
        sequence(pair, "B", 1);
        if (addEos) special(pair, eos, 1);
        ObjectNode specials = t.putObject("special_tokens");
        for (int id : new int[] {bos, eos}) {
            if ((id == bos && !addBos) || (id == eos && !addEos)) continue;
            ObjectNode s = specials.putObject(tokens[id]);
            s.put("id", tokens[id]);
            s.putArray("ids").add(id);
            s.putArray("tokens").add(tokens[id]);
        }
        return t;
    }

    private void special(ArrayNode a, int id, int typeId) {
        a.addObject().putObject("SpecialToken").put("id", tokens[id]).put("type_id", typeId);
    }

    private static void sequence(ArrayNode a, String id, int typeId) {
        a.addObject().putObject("Sequence").put("id", id).put("type_id", typeId);
    }

    /**
     * transformers' {@code generate_merges}: every split of every piece into two vocabulary pieces (ordered by the
     * pieces' ids within a piece), then a stable sort by (score, len(left), len(right)) descending.
     */
    List<String[]> merges() {
        Map<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < tokens.length; i++) vocab.putIfAbsent(tokens[i], i);
        record Merge(String left, String right, float score, int order) {}
        List<Merge> all = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            String piece = tokens[i];
            int[] cps = piece.codePoints().toArray();
            List<Merge> local = new ArrayList<>();
            for (int k = 1; k < cps.length; k++) {
                String l = new String(cps, 0, k);
                String r = new String(cps, k, cps.length - k);
                if (vocab.containsKey(l) && vocab.containsKey(r)) local.add(new Merge(l, r, scores[i], 0));
            }
            local.sort(Comparator.<Merge>comparingInt(m -> vocab.get(m.left())).thenComparingInt(m -> vocab.get(m.right())));
            for (Merge m : local) all.add(new Merge(m.left(), m.right(), m.score(), all.size()));
        }
        // Python's sorted(..., reverse=True) is stable: equal keys keep their original order.
        all.sort(Comparator.<Merge>comparingDouble(m -> -m.score())
                .thenComparingInt(m -> -m.left().codePointCount(0, m.left().length()))
                .thenComparingInt(m -> -m.right().codePointCount(0, m.right().length()))
                .thenComparingInt(Merge::order));
        List<String[]> out = new ArrayList<>();
        for (Merge m : all) out.add(new String[] {m.left(), m.right()});
        return out;
    }

    ObjectNode tokenizerConfig() {
        ObjectNode c = JSON.createObjectNode();
        c.put("add_bos_token", addBos);
        c.put("add_eos_token", addEos);
        ObjectNode decoder = c.putObject("added_tokens_decoder");
        for (int i = 0; i < tokens.length; i++) {
            if (types[i] != UNKNOWN && types[i] != CONTROL && types[i] != USER_DEFINED) continue;
            decoder.putObject(Integer.toString(i)).put("content", tokens[i]).put("lstrip", false).put("normalized", false)
                    .put("rstrip", false).put("single_word", false).put("special", types[i] != USER_DEFINED);
        }
        c.put("bos_token", tokens[bos]);
        c.put("eos_token", tokens[eos]);
        c.put("unk_token", tokens[unk]);
        if (pad != null) c.put("pad_token", tokens[pad]);
        else c.putNull("pad_token");
        c.put("clean_up_tokenization_spaces", false);
        c.put("legacy", true);
        c.put("model_max_length", contextLength);
        c.put("tokenizer_class", "LlamaTokenizerFast");
        if (chatTemplate != null) c.put("chat_template", chatTemplate);
        return c;
    }

    ObjectNode specialTokensMap() {
        ObjectNode m = JSON.createObjectNode();
        m.put("bos_token", tokens[bos]);
        m.put("eos_token", tokens[eos]);
        m.put("unk_token", tokens[unk]);
        if (pad != null) m.put("pad_token", tokens[pad]);
        return m;
    }
}
