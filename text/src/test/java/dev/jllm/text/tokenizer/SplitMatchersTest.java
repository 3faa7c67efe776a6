package dev.jllm.text.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** The hand-written split scanners must cut exactly where the translated regexes do. */
class SplitMatchersTest {
    private static final String[] PATTERNS = {SplitMatchers.LLAMA3, SplitMatchers.QWEN2, PreTokenizer.ByteLevel.GPT2_PATTERN};

    private static List<String> corpus() throws Exception {
        List<String> texts = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (Path dir : Fixtures.list(Fixtures.resolve("tokenizers"), Files::isDirectory)) {
            for (String name : List.of("cases.jsonl", "llamacpp_vectors.jsonl")) {
                Path f = dir.resolve(name);
                if (Files.isRegularFile(f)) for (String line : Fixtures.jsonLines(f)) texts.add(json.readTree(line).get("text").asText());
            }
        }
        // edge cases: contractions in all cases and with long s, whitespace runs before words/newlines/end,
        // digits runs, punctuation followed by newlines, letters after symbols and emoji
        texts.addAll(List.of("'S 's 'ſ 'RE 're 'Ve 'LL 'lL 'D 'x", "a  b   \n\n c \r\n  d  ", "   ", " ", "\n", "x \u00A0\u3000y",
                "12345 1234567 ١٢٣٤", "!!!\n\n\r\n(hello)", "🦙abc 🦙 abc", "\ta\u2028b", "a\r\n\r\n  \tb", "ab   ", "  ab", "'", "''s"));
        Random r = new Random(11);
        String alphabet = "aZé日1٣ '\"!?.,\n\r\t\u00A0\u2003\u3000ſ🦙_-\u0301sSlLdDtTrReEvVmM";
        int[] cps = alphabet.codePoints().toArray();
        for (int i = 0; i < 20000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(24);
            for (int k = 0; k < len; k++) sb.appendCodePoint(cps[r.nextInt(cps.length)]);
            texts.add(sb.toString());
        }
        for (int i = 0; i < 2000; i++) texts.add(TokenizerTest.randomText(r, 30));
        return texts;
    }

    @Test
    void scannersEqualTheRegexes() throws Exception {
        List<String> texts = corpus();
        for (String pattern : PATTERNS) {
            PreTokenizer.MatchFinder scanner = SplitMatchers.forPattern(pattern, OnigurumaRegex.compile(pattern));
            assertFalse(scanner instanceof PreTokenizer.RegexFinder, "a scanner exists for " + pattern);
            PreTokenizer.MatchFinder regex = new PreTokenizer.RegexFinder(OnigurumaRegex.compile(pattern));
            for (String t : texts) {
                IntList a = new IntList(), b = new IntList();
                regex.find(t, 0, t.length(), a);
                scanner.find(t, 0, t.length(), b);
                assertArrayEquals(a.toArray(), b.toArray(), () -> "pattern " + pattern + " on " + new ObjectMapper().valueToTree(t));
                // and on a sub-range, where lookahead must not see past the end
                if (t.codePointCount(0, t.length()) > 2) {
                    int from = t.offsetByCodePoints(0, 1), to = t.offsetByCodePoints(t.length(), -1);
                    IntList c = new IntList(), d = new IntList();
                    regex.find(t, from, to, c);
                    scanner.find(t, from, to, d);
                    assertArrayEquals(c.toArray(), d.toArray(), () -> "pattern " + pattern + " on the inside of " + new ObjectMapper().valueToTree(t));
                }
            }
        }
    }
}
