package dev.jllm.text.tokenizer.train;

import dev.jllm.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class BpeTrainerTest {

    @Test
    void mergesAreTheMostFrequentPairs(@TempDir Path dir) {
        // words after the GPT-2 split: "ab", " ab" x2, " cd"; pairs: (a,b) 3, (Ġ,a) 2, (Ġ,c) 1, (c,d) 1
        // merge 1: a+b (3); then (Ġ,ab) 2; then every pair has count 1 < min frequency 2
        BpeTrainer.Result r = new BpeTrainer(1000, 2, List.of("<|end|>")).trainTexts(List.of("ab ab ab cd"));
        assertEquals(2, r.merges().size());
        assertArrayEquals(new String[]{"a", "b"}, r.merges().get(0));
        assertArrayEquals(new String[]{"Ġ", "ab"}, r.merges().get(1));
        assertEquals(0, r.vocab().get("<|end|>"));
        assertEquals(1 + 256 + 2, r.vocab().size());
    }

    @Test
    void tiesGoToTheLexicallySmallestPair() {
        // "xy" and "ab" both occur twice: (a,b) sorts first
        BpeTrainer.Result r = new BpeTrainer(258, 1, List.of()).trainTexts(List.of("xy\nab\nxy\nab"));
        assertArrayEquals(new String[]{"a", "b"}, r.merges().get(0));
        assertArrayEquals(new String[]{"x", "y"}, r.merges().get(1));
    }

    @Test
    void savedTokenizerLoadsBackAndEncodesIdentically(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("corpus.txt");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 200; i++) sb.append("the quick brown fox jumps over the lazy dog ").append(i).append(" times. Ünïcödé 日本語!\n");
        Files.writeString(corpus, sb.toString());
        BpeTrainer trainer = new BpeTrainer(400, 2, List.of("<s>", "</s>"));
        BpeTrainer.Result r = trainer.trainFiles(List.of(corpus));
        assertTrue(r.vocab().size() > 300 && r.vocab().size() <= 400, "stops when no pair occurs twice: " + r.vocab().size());
        Path saved = BpeTrainer.save(r, dir.resolve("out"));
        Tokenizer t = Tokenizer.load(saved);
        String text = "the lazy dog jumps</s> 42 times. Ünïcödé 日本語!";
        int[] ids = t.encode(text, true);
        assertEquals(text, t.decode(ids, false));
        assertTrue(ids.length < text.length() / 2, "the merges compress the training text");
        // "the" is one token, made by the merges in order
        assertEquals(r.vocab().get("the"), t.encode("the", false)[0]);
        assertEquals(1, t.encode("the", false).length);
        // the special token typed in text is matched as one token
        assertTrue(indexOf(ids, r.vocab().get("</s>")) >= 0);
        // training twice gives the same file
        Path again = BpeTrainer.save(trainer.trainFiles(List.of(corpus)), dir.resolve("again"));
        assertEquals(Files.readString(saved), Files.readString(again));
        // and the reloaded tokenizer encodes every training line like the first load
        Tokenizer reloaded = Tokenizer.load(dir.resolve("again"));
        for (String line : sb.toString().split("\n")) assertArrayEquals(t.encode(line, false), reloaded.encode(line, false));
    }

    @Test
    void trainsOnHalfAMegabyteQuickly(@TempDir Path dir) {
        Path docs = dev.jllm.testkit.Fixtures.resolve("datasets", "lamini_docs.jsonl");
        long t0 = System.nanoTime();
        BpeTrainer.Result r = new BpeTrainer(3000, 2, List.of("<|endoftext|>")).trainFiles(List.of(docs));
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(3000, r.vocab().size());
        assertTrue(seconds < 60, "training took " + seconds + " s");
        Tokenizer t = Tokenizer.load(BpeTrainer.save(r, dir));
        String text = "How do I fine-tune a model with Lamini? Use the LLM engine: llm = LlamaV2Runner()";
        assertEquals(text, t.decode(t.encode(text, false), false));
        // merge order respected: re-encoding the merged pieces of any two-token vocabulary entry gives that entry
        for (String[] m : r.merges().subList(0, 200)) {
            int id = r.vocab().get(m[0] + m[1]);
            assertEquals(m[0] + m[1], t.idToToken(id).orElseThrow());
        }
    }

    /** The incremental trainer must pick the same merges as recounting every pair from scratch at each step. */
    @Test
    void equalsANaiveRecount() {
        java.util.Random r = new java.util.Random(5);
        String[] words = {"low", "lower", "newest", "widest", "a", "aa", "aaa", "ab", "ba", "abab", "ünï", "日本", " "};
        for (int round = 0; round < 20; round++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 300; i++) sb.append(words[r.nextInt(words.length)]).append(r.nextInt(4) == 0 ? "\n" : " ");
            String text = sb.toString();
            BpeTrainer.Result fast = new BpeTrainer(330, 1 + round % 3, List.of()).trainTexts(List.of(text));
            List<String[]> naive = naiveMerges(text, 330 - 256, 1 + round % 3);
            assertEquals(naive.size(), fast.merges().size(), "round " + round);
            for (int i = 0; i < naive.size(); i++) assertArrayEquals(naive.get(i), fast.merges().get(i), "round " + round + " merge " + i);
        }
    }

    private static List<String[]> naiveMerges(String text, int maxMerges, int minFrequency) {
        java.util.Map<List<String>, Integer> words = new java.util.HashMap<>();
        var m = dev.jllm.text.tokenizer.OnigurumaRegex.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+").matcher(text);
        while (m.find()) {
            List<String> symbols = new java.util.ArrayList<>();
            for (byte b : m.group().getBytes(java.nio.charset.StandardCharsets.UTF_8)) symbols.add(String.valueOf(dev.jllm.text.tokenizer.ByteLevelAlphabet.charOf(b)));
            words.merge(symbols, 1, Integer::sum);
        }
        java.util.Set<String> vocab = new java.util.HashSet<>();
        List<String[]> merges = new java.util.ArrayList<>();
        while (merges.size() < maxMerges) {
            java.util.Map<String, Integer> counts = new java.util.TreeMap<>();
            for (var e : words.entrySet()) {
                List<String> w = e.getKey();
                for (int k = 0; k + 1 < w.size(); k++) counts.merge(w.get(k) + "\u0000" + w.get(k + 1), e.getValue(), Integer::sum);
            }
            String best = null;
            int bestCount = 0;
            for (var e : counts.entrySet()) {
                String[] p = e.getKey().split("\u0000");
                String[] b = best == null ? null : best.split("\u0000");
                boolean before = b == null || p[0].compareTo(b[0]) < 0 || (p[0].equals(b[0]) && p[1].compareTo(b[1]) < 0);
                if (e.getValue() > bestCount || (e.getValue() == bestCount && before)) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            if (best == null || bestCount < minFrequency) break;
            String[] pair = best.split("\u0000");
            merges.add(pair);
            java.util.Map<List<String>, Integer> next = new java.util.HashMap<>();
            for (var e : words.entrySet()) {
                List<String> w = e.getKey(), out = new java.util.ArrayList<>();
                for (int k = 0; k < w.size(); k++) {
                    if (k + 1 < w.size() && w.get(k).equals(pair[0]) && w.get(k + 1).equals(pair[1])) {
                        out.add(pair[0] + pair[1]);
                        k++;
                    } else {
                        out.add(w.get(k));
                    }
                }
                next.merge(out, e.getValue(), Integer::sum);
            }
            words = next;
            vocab.add(pair[0] + pair[1]);
        }
        return merges;
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }

    @Test
    void badOptionsAndInput(@TempDir Path dir) throws Exception {
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(100, 2, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new BpeTrainer(300, 1, List.of("a", "a")));
        Path bin = dir.resolve("bin.txt");
        Files.write(bin, new byte[]{(byte) 0xFF, (byte) 0xFE, 0x41});
        var e = assertThrows(dev.jllm.core.JllmException.class, () -> new BpeTrainer(300, 1, List.of()).trainFiles(List.of(bin)));
        assertTrue(e.getMessage().contains(bin.toString()));
    }
}
