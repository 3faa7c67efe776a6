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
