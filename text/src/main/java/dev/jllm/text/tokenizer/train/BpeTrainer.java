package dev.jllm.text.tokenizer.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.text.tokenizer.ByteLevelAlphabet;
import dev.jllm.text.tokenizer.OnigurumaRegex;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Trains a byte-level BPE tokenizer (GPT-2 style) from text: the text is cut into words with the GPT-2
 * pre-tokenization regex, every word starts as its UTF-8 bytes (256 base symbols), and the most frequent adjacent
 * pair is merged repeatedly until the vocabulary is full or no pair reaches {@code minFrequency}.
 *
 * <p>Ties between pairs of equal frequency go to the pair whose (left, right) token strings sort first (by UTF-16
 * code units), which is deterministic; HF's trainer breaks ties the same way up to its own string order (Rust
 * compares UTF-8 bytes, which agrees for all byte-level characters below U+0800, i.e. the whole alphabet).
 *
 * <p>The result is a standard tokenizer.json (BPE model with vocab and merges, ByteLevel pre-tokenizer,
 * post-processor and decoder) that Hugging Face {@code tokenizers} loads.
 */
public final class BpeTrainer {
    /** GPT-2's split regex, the one the saved tokenizer's ByteLevel pre-tokenizer applies. */
    private static final Pattern GPT2 = OnigurumaRegex.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private final int vocabSize;
    private final int minFrequency;
    private final List<String> specialTokens;

    /** One trained tokenizer: merges in order, the vocabulary (token to id), and the special tokens' ids. */
    public record Result(List<String[]> merges, Map<String, Integer> vocab, List<String> specialTokens) {}

    public BpeTrainer(int vocabSize, int minFrequency, List<String> specialTokens) {
        if (minFrequency < 1) throw new IllegalArgumentException("min frequency must be >= 1, got " + minFrequency);
        if (vocabSize < 256 + specialTokens.size()) {
            throw new IllegalArgumentException("vocab size must be at least 256 (the bytes) + " + specialTokens.size()
                    + " special tokens, got " + vocabSize);
        }
        if (specialTokens.stream().distinct().count() != specialTokens.size()) throw new IllegalArgumentException("special tokens repeat: " + specialTokens);
        for (String s : specialTokens) if (s.isEmpty()) throw new IllegalArgumentException("special tokens must not be empty");
        this.vocabSize = vocabSize;
        this.minFrequency = minFrequency;
        this.specialTokens = List.copyOf(specialTokens);
    }

    /** Reads UTF-8 text files (invalid UTF-8 is an error naming the file). */
    public Result trainFiles(List<Path> files) {
        Map<String, Integer> words = new HashMap<>();
        for (Path f : files) {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(f))).toString();
            } catch (CharacterCodingException e) {
                throw new JllmException(f + ": not valid UTF-8 text");
            } catch (IOException e) {
                throw new JllmException(f + ": cannot read: " + e.getMessage(), e);
            }
            countWords(text, words);
        }
        return train(words);
    }

    public Result trainTexts(List<String> texts) {
        Map<String, Integer> words = new HashMap<>();
        for (String t : texts) countWords(t, words);
        return train(words);
    }

    private static void countWords(String text, Map<String, Integer> words) {
        Matcher m = GPT2.matcher(text);
        while (m.find()) {
            if (m.end() > m.start()) words.merge(m.group(), 1, Integer::sum);
        }
    }

    private Result train(Map<String, Integer> wordCounts) {
        // token strings by id: special tokens first (as HF's trainer does), then the 256 byte characters
        List<String> tokens = new ArrayList<>(specialTokens);
        int byteBase = tokens.size();
        for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevelAlphabet.charOf(b)));
        // words as symbol-id sequences with counts; sorted so the run is deterministic
        List<String> keys = new ArrayList<>(wordCounts.keySet());
        keys.sort(null);
        int w = keys.size();
        int[][] words = new int[w][];
        int[] counts = new int[w];
        for (int i = 0; i < w; i++) {
            byte[] bytes = keys.get(i).getBytes(StandardCharsets.UTF_8);
            words[i] = new int[bytes.length];
            for (int k = 0; k < bytes.length; k++) words[i][k] = byteBase + (bytes[k] & 0xFF);
            counts[i] = wordCounts.get(keys.get(i));
        }
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) ids.putIfAbsent(tokens.get(i), i);
        Map<Long, Long> pairCounts = new HashMap<>();
        // which words hold a pair (never pruned: a stale entry only costs a check)
        Map<Long, List<Integer>> where = new HashMap<>();
        // candidates by count (highest first), then lexical order; entries whose count changed since are skipped
        PriorityQueue<Candidate> queue = new PriorityQueue<>();
        for (int i = 0; i < w; i++) {
            for (int k = 0; k + 1 < words[i].length; k++) {
                long pair = pair(words[i][k], words[i][k + 1]);
                pairCounts.merge(pair, (long) counts[i], Long::sum);
                List<Integer> list = where.computeIfAbsent(pair, p -> new ArrayList<>());
                if (list.isEmpty() || list.getLast() != i) list.add(i);
            }
        }
        pairCounts.forEach((pair, count) -> queue.add(new Candidate(pair, count, tokens)));
        List<String[]> merges = new ArrayList<>();
        while (ids.size() < vocabSize && !queue.isEmpty()) {
            Candidate best = queue.poll();
            Long current = pairCounts.get(best.pair);
            if (current == null || current != best.count) continue; // stale
            if (best.count < minFrequency) break;
            int left = (int) (best.pair >>> 32), right = (int) best.pair;
            String mergedText = tokens.get(left) + tokens.get(right);
            // a string reached by two merge paths keeps its first id, as HF's trainer does
            Integer existing = ids.get(mergedText);
            int merged = existing != null ? existing : tokens.size();
            if (existing == null) {
                tokens.add(mergedText);
                ids.put(mergedText, merged);
            }
            merges.add(new String[]{tokens.get(left), tokens.get(right)});
            Map<Long, Long> changed = new HashMap<>();
            for (int i : where.getOrDefault(best.pair, List.of())) {
                int[] word = words[i];
                if (!contains(word, left, right)) continue;
                addPairs(word, counts[i], pairCounts, -1, changed);
                words[i] = mergeWord(word, left, right, merged);
                addPairs(words[i], counts[i], pairCounts, 1, changed);
                for (int k = 0; k + 1 < words[i].length; k++) {
                    if (words[i][k] == merged || words[i][k + 1] == merged) {
                        List<Integer> list = where.computeIfAbsent(pair(words[i][k], words[i][k + 1]), p -> new ArrayList<>());
                        if (list.isEmpty() || list.getLast() != i) list.add(i);
                    }
                }
            }
            pairCounts.remove(best.pair);
            for (long pair : changed.keySet()) {
                Long c = pairCounts.get(pair);
                if (c != null && pair != best.pair) queue.add(new Candidate(pair, c, tokens));
            }
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int i = 0; i < tokens.size(); i++) vocab.putIfAbsent(tokens.get(i), i);
        return new Result(merges, vocab, specialTokens);
    }

    private static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** A pair with the count it had when queued; ordered by count (descending), then by its token strings. */
    private static final class Candidate implements Comparable<Candidate> {
        final long pair;
        final long count;
        final String left, right;

        Candidate(long pair, long count, List<String> tokens) {
            this.pair = pair;
            this.count = count;
            this.left = tokens.get((int) (pair >>> 32));
            this.right = tokens.get((int) pair);
        }

        @Override
        public int compareTo(Candidate o) {
            if (count != o.count) return Long.compare(o.count, count);
            int c = left.compareTo(o.left);
            return c != 0 ? c : right.compareTo(o.right);
        }
    }

    private static void addPairs(int[] word, int count, Map<Long, Long> pairs, int sign, Map<Long, Long> changed) {
        for (int k = 0; k + 1 < word.length; k++) {
            long key = pair(word[k], word[k + 1]);
            long v = pairs.getOrDefault(key, 0L) + (long) sign * count;
            if (v == 0) pairs.remove(key);
            else pairs.put(key, v);
            changed.put(key, v);
        }
    }

    private static boolean contains(int[] word, int left, int right) {
        for (int k = 0; k + 1 < word.length; k++) if (word[k] == left && word[k + 1] == right) return true;
        return false;
    }

    private static int[] mergeWord(int[] word, int left, int right, int merged) {
        int[] out = new int[word.length];
        int n = 0;
        for (int k = 0; k < word.length; k++) {
            if (k + 1 < word.length && word[k] == left && word[k + 1] == right) {
                out[n++] = merged;
                k++;
            } else {
                out[n++] = word[k];
            }
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Writes {@code dir/tokenizer.json} (and a minimal tokenizer_config.json), each through a temp file. */
    public static Path save(Result result, Path dir) {
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = json.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : result.specialTokens()) {
            ObjectNode t = added.addObject();
            t.put("id", result.vocab().get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        byteLevel(pre, true);
        ObjectNode post = root.putObject("post_processor");
        byteLevel(post, true);
        ObjectNode dec = root.putObject("decoder");
        byteLevel(dec, true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        result.vocab().forEach(vocab::put);
        ArrayNode merges = model.putArray("merges");
        for (String[] m : result.merges()) merges.addArray().add(m[0]).add(m[1]);
        ObjectNode config = json.createObjectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("clean_up_tokenization_spaces", false);
        config.put("model_max_length", 1_000_000_000L);
        try {
            Files.createDirectories(dir);
            Path out = dir.resolve("tokenizer.json");
            writeAtomically(json.writeValueAsBytes(root), out);
            writeAtomically(json.writeValueAsBytes(config), dir.resolve("tokenizer_config.json"));
            return out;
        } catch (IOException e) {
            throw new JllmException(dir + ": cannot write the tokenizer: " + e.getMessage(), e);
        }
    }

    private static void byteLevel(ObjectNode n, boolean trimOffsets) {
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", trimOffsets);
        n.put("use_regex", true);
    }

    private static void writeAtomically(byte[] bytes, Path target) throws IOException {
        Path tmp = Files.createTempFile(target.toAbsolutePath().getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
