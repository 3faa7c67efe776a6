package dev.jllm.text.tokenizer;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufFile;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a tokenizer from the vocabulary embedded in a GGUF file: {@code tokenizer.ggml.model} "llama"
 * (SentencePiece pieces with scores) or "gpt2" (byte-level BPE with merges). Control tokens become special added
 * tokens and user-defined tokens plain added tokens, as Hugging Face's converters make them, so the result equals
 * the model's tokenizer.json.
 */
final class GgufVocab {
    private GgufVocab() {}

    private static final String LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    static Tokenizer load(Path file) {
        try (GgufFile gguf = GgufFile.open(file)) {
            return build(gguf, file.toString(), file);
        }
    }

    static Tokenizer build(GgufFile g, String where, Path file) {
        if (!g.has("tokenizer.ggml.model")) throw new JllmException(where + ": field tokenizer.ggml.model is missing (no embedded vocabulary)");
        String kind = g.string("tokenizer.ggml.model");
        String[] tokens = g.strings("tokenizer.ggml.tokens");
        int n = tokens.length;
        int[] types = g.has("tokenizer.ggml.token_type") ? g.ints("tokenizer.ggml.token_type") : null;
        if (types != null && types.length != n) {
            throw new JllmException(where + ": field tokenizer.ggml.token_type has " + types.length + " entries for " + n + " tokens");
        }
        Map<String, Integer> vocab = new HashMap<>(n * 2);
        for (int i = 0; i < n; i++) vocab.putIfAbsent(tokens[i], i);
        List<AddedToken> added = new ArrayList<>();
        boolean[] unused = new boolean[n];
        boolean anyUnused = false;
        boolean[] mergeable = new boolean[n];
        for (int i = 0; i < n; i++) {
            int type = types == null ? SentencePieceModel.NORMAL : types[i];
            if (type < 1 || type > 6) throw new JllmException(where + ": field tokenizer.ggml.token_type[" + i + "]: unknown type " + type);
            // HF's converters make the unknown token special too, so "<unk>" typed in text is that token
            if (type == SentencePieceModel.CONTROL || type == SentencePieceModel.UNKNOWN) added.add(new AddedToken(i, tokens[i], true, false, false, false, false));
            if (type == SentencePieceModel.USER_DEFINED) added.add(new AddedToken(i, tokens[i], false, false, false, false, false));
            mergeable[i] = type == SentencePieceModel.NORMAL || type == SentencePieceModel.USER_DEFINED || type == SentencePieceModel.UNUSED;
            unused[i] = type == SentencePieceModel.UNUSED;
            anyUnused |= unused[i];
        }
        int bos = id(g, "tokenizer.ggml.bos_token_id", n, where);
        int eos = id(g, "tokenizer.ggml.eos_token_id", n, where);
        int pad = id(g, "tokenizer.ggml.padding_token_id", n, where);
        int unk = id(g, "tokenizer.ggml.unknown_token_id", n, where);
        boolean llama = kind.equals("llama");
        boolean addBos = g.bool("tokenizer.ggml.add_bos_token", llama);
        boolean addEos = g.bool("tokenizer.ggml.add_eos_token", false);
        Normalizer normalizer;
        PreTokenizer pre;
        BpeModel model;
        Decoder decoder;
        switch (kind) {
            case "llama" -> {
                if (!g.has("tokenizer.ggml.scores")) throw new JllmException(where + ": field tokenizer.ggml.scores is missing");
                float[] scores = g.floats("tokenizer.ggml.scores");
                if (scores.length != n) throw new JllmException(where + ": field tokenizer.ggml.scores has " + scores.length + " entries for " + n + " tokens");
                MergeTable merges = BpeModel.mergesFromScores(tokens, scores, mergeable);
                if (unk < 0) unk = vocab.getOrDefault("<unk>", -1);
                model = new BpeModel(vocab, merges, false, true, unk, true, false, null, null, anyUnused ? unused : null);
                List<Normalizer> steps = new ArrayList<>();
                if (g.bool("tokenizer.ggml.add_space_prefix", true)) steps.add(new Normalizer.Prepend("\u2581"));
                steps.add(new Normalizer.Replace(null, " ", "\u2581"));
                normalizer = new Normalizer.Sequence(steps);
                pre = null;
                decoder = new Decoder.Sequence(List.of(new Decoder.Replace(null, "\u2581", " "), new Decoder.ByteFallback(),
                        new Decoder.Fuse(), new Decoder.Strip(' ', g.bool("tokenizer.ggml.add_space_prefix", true) ? 1 : 0, 0)));
            }
            case "gpt2" -> {
                String[] mergeStrings = g.strings("tokenizer.ggml.merges");
                List<String[]> merges = new ArrayList<>(mergeStrings.length);
                for (int i = 0; i < mergeStrings.length; i++) {
                    int sp = mergeStrings[i].indexOf(' ', 1);
                    if (sp < 0) throw new JllmException(where + ": field tokenizer.ggml.merges[" + i + "]: expected \"left right\"");
                    merges.add(new String[]{mergeStrings[i].substring(0, sp), mergeStrings[i].substring(sp + 1)});
                }
                String preName = g.optString("tokenizer.ggml.pre").orElse("default");
                boolean ignoreMerges = false;
                pre = switch (preName) {
                    case "llama-bpe", "llama3", "llama-v3", "smaug-bpe" -> {
                        ignoreMerges = true;
                        yield split(LLAMA3_SPLIT);
                    }
                    case "qwen2", "deepseek-r1-qwen" -> split(QWEN2_SPLIT);
                    case "default", "gpt2", "gpt-2" -> new PreTokenizer.ByteLevel(false, SplitMatchers.gpt2());
                    default -> throw new JllmException(where + ": field tokenizer.ggml.pre: pre-tokenizer \"" + preName
                            + "\" is not supported (supported: default, gpt2, llama-bpe, llama3, qwen2)");
                };
                model = new BpeModel(vocab, BpeModel.mergesFromList(vocab, merges, null, where + ": tokenizer.ggml.merges"),
                        true, false, unk, false, ignoreMerges, null, null, null);
                normalizer = null;
                decoder = new Decoder.ByteLevel();
            }
            default -> throw new JllmException(where + ": field tokenizer.ggml.model: \"" + kind + "\" is not supported (supported: llama, gpt2)");
        }
        List<PostProcessor.TemplatePiece> template = new ArrayList<>();
        if (addBos && bos >= 0) template.add(new PostProcessor.TemplatePiece(new int[]{bos}, 0));
        template.add(new PostProcessor.TemplatePiece(null, 0));
        if (addEos && eos >= 0) template.add(new PostProcessor.TemplatePiece(new int[]{eos}, 0));
        String chat = g.optString("tokenizer.chat_template").orElse(null);
        long maxLen = Long.MAX_VALUE;
        String arch = g.optString("general.architecture").orElse(null);
        if (arch != null && g.has(arch + ".context_length")) maxLen = g.integer(arch + ".context_length");
        TokenizerConfig config = new TokenizerConfig(name(tokens, bos), name(tokens, eos), name(tokens, pad), name(tokens, unk),
                addBos, addEos, maxLen, "right", "right", false, chat, Map.of());
        return new Tokenizer(where, added, normalizer, pre, model, new PostProcessor.Template(template), decoder, config, Set.of());
    }

    private static PreTokenizer split(String regex) {
        return new PreTokenizer.Sequence(List.of(
                new PreTokenizer.Split(SplitMatchers.forPattern(regex, OnigurumaRegex.compile(regex)), PreTokenizer.Behavior.ISOLATED, false),
                new PreTokenizer.ByteLevel(false, null)));
    }

    private static int id(GgufFile g, String key, int n, String where) {
        if (!g.has(key)) return -1;
        long v = g.integer(key);
        if (v == -1 || v == 0xFFFFFFFFL) return -1; // llama.cpp writes uint32 -1 for "no such token"
        if (v < 0 || v >= n) throw new JllmException(where + ": field " + key + ": id " + v + " is out of range (vocabulary of " + n + ")");
        return (int) v;
    }

    private static String name(String[] tokens, int id) {
        return id >= 0 ? tokens[id] : null;
    }
}
