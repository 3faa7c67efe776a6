package dev.jllm.eval.bleu;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BleuTest {
    @Test
    void tokenizer13a() {
        assertEquals("Hello , world ! It costs $ 4,096.50 .", BleuTokenizer.THIRTEEN_A.tokenize("Hello, world! It costs $4,096.50."));
        assertEquals("a & amp ; b \" c", BleuTokenizer.THIRTEEN_A.tokenize("a &amp;amp; b &quot; c"));
        assertEquals("1990 - 2000 well-known", BleuTokenizer.THIRTEEN_A.tokenize("1990-2000 well-known"));
        assertEquals("hyphenated", BleuTokenizer.THIRTEEN_A.tokenize("hyphen-\nated"));
        assertEquals("", BleuTokenizer.THIRTEEN_A.tokenize("<skipped>"));
    }

    @Test
    void tokenizerIntl() {
        assertEquals("Hello , world ! 4,096.50 costs € 5", BleuTokenizer.INTL.tokenize("Hello, world! 4,096.50 costs €5"));
        // A number followed by a final period keeps the period (mteval-v14's known quirk).
        assertEquals("year 2020.", BleuTokenizer.INTL.tokenize("year 2020."));
        assertEquals("« bonjour »", BleuTokenizer.INTL.tokenize("«bonjour»"));
    }

    @Test
    void tokenizerCharAndNone() {
        assertEquals("a b c \uD83D\uDE00", String.join(" ", dev.jllm.eval.text.PyStrings.split(BleuTokenizer.CHAR.tokenize("ab c\uD83D\uDE00"))));
        assertEquals(" raw  text ", BleuTokenizer.NONE.tokenize(" raw  text "));
    }

    @Test
    void closestReferenceLengthPrefersShorterOnTies() {
        assertEquals(8, Bleu.closestRefLength(10, List.of(12, 8, 15)));
        assertEquals(11, Bleu.closestRefLength(10, List.of(13, 11, 9 + 100)));
    }

    @Test
    void perfectMatchAndEmptyHypothesis() {
        Bleu bleu = new Bleu(BleuOptions.sentenceDefaults());
        BleuScore s = bleu.sentenceScore("the cat sat on the mat", List.of("the cat sat on the mat")).score();
        assertEquals(100.0, s.score(), 1e-9);
        BleuScore empty = bleu.sentenceScore("", List.of("the cat")).score();
        assertEquals(0.0, empty.score());
        assertEquals(0.0, empty.bp());
    }

    @Test
    void handComputedCorpusScore() {
        // hyp "a b c d" vs ref "a b c e": p1 = 3/4, p2 = 2/3, p3 = 1/2, p4 = 0 -> exp smoothing gives 1/(2*1).
        BleuScore s = new Bleu(BleuOptions.corpusDefaults()).corpusScore(List.of("a b c d"), List.of(List.of("a b c e"))).score();
        assertArrayEquals(new double[] {3, 2, 1, 0}, s.counts());
        assertArrayEquals(new double[] {4, 3, 2, 1}, s.totals());
        double expected = Math.exp((Math.log(75.0) + Math.log(200.0 / 3) + Math.log(50.0) + Math.log(50.0)) / 4);
        assertEquals(expected, s.score(), 1e-12);
    }

    @Test
    void addKChangesCountsInPlace() {
        BleuScore s = Bleu.computeBleu(new double[] {2, 1, 0, 0}, new double[] {3, 2, 1, 0}, 3, 3,
                SmoothMethod.ADD_K, 0.5, true, 4);
        assertEquals("[2.0, 1.5, 0.5, 0.5]", Arrays.toString(s.counts()));
        assertEquals("[3.0, 2.5, 1.5, 0.5]", Arrays.toString(s.totals()));
    }

    @Test
    void signature() {
        Bleu bleu = new Bleu(BleuOptions.corpusDefaults().withSmoothing(SmoothMethod.FLOOR, null).withLowercase(true)
                .withTokenizer(BleuTokenizer.INTL));
        assertEquals("nrefs:var|case:lc|eff:no|tok:intl|smooth:floor[0.10]|version:2.6.0", bleu.signature(-1));
        assertEquals("0.12", Bleu.formatTwoDecimals(0.125)); // Python rounds the exact binary value half-to-even
    }

    @Test
    void badInput() {
        Bleu bleu = new Bleu(BleuOptions.corpusDefaults());
        assertThrows(JllmException.class, () -> bleu.corpusScore(List.of("a", "b"), List.of(List.of("a"))));
        assertThrows(JllmException.class, () -> bleu.corpusScore(List.of("a"), List.of(Arrays.asList((String) null))));
        assertThrows(JllmException.class, () -> bleu.corpusScore(List.of(), List.of(List.of())));
        assertThrows(JllmException.class, () -> bleu.corpusScore(List.of("a"), List.of()));
        assertThrows(JllmException.class, () -> BleuTokenizer.byName("moses"));
        assertThrows(JllmException.class, () -> SmoothMethod.byName("laplace"));
        assertThrows(JllmException.class, () -> BleuOptions.corpusDefaults().withSmoothing(SmoothMethod.EXP, 0.1));
        assertThrows(JllmException.class, () -> BleuOptions.corpusDefaults().withMaxNgramOrder(0));
    }
}
