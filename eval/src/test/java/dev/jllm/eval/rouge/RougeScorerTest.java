package dev.jllm.eval.rouge;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class RougeScorerTest {
    @Test
    void tokenizer() {
        assertEquals(List.of("the", "gpu", "s", "4", "096", "tokens"), new RougeTokenizer(false).tokenize("The GPU's 4,096 tokens!"));
        assertEquals(List.of("the", "run", "cat", "dog"), new RougeTokenizer(true).tokenize("the running cats dogs"));
        assertEquals(List.of("caf"), new RougeTokenizer(false).tokenize("Café"));
        assertEquals(List.of(), new RougeTokenizer(true).tokenize("  ... "));
    }

    @Test
    void handComputed() {
        RougeScorer scorer = new RougeScorer(List.of("rouge1", "rouge2", "rougeL"), false);
        Map<String, RougeScore> s = scorer.score("the quick brown fox", "the brown fox jumps");
        assertEquals(0.75, s.get("rouge1").precision(), 1e-15);
        assertEquals(0.75, s.get("rouge1").recall(), 1e-15);
        assertEquals(1.0 / 3, s.get("rouge2").precision(), 1e-15); // "brown fox" of 3 bigrams
        assertEquals(0.75, s.get("rougeL").fmeasure(), 1e-15);     // LCS "the brown fox"
    }

    @Test
    void summaryLevelLcsCountsEachTokenOnce() {
        RougeScorer scorer = new RougeScorer(List.of("rougeLsum"), false);
        RougeScore s = scorer.score("a b\nc d", "a b c d").get("rougeLsum");
        assertEquals(1.0, s.precision(), 0);
        assertEquals(1.0, s.recall(), 0);
        RougeScore dup = scorer.score("a a", "a\na\na").get("rougeLsum");
        // Each one-token candidate sentence's LCS is the reference's last "a": the union holds one index.
        assertEquals(1.0 / 3, dup.precision(), 1e-15);
        assertEquals(0.5, dup.recall(), 0);
    }

    @Test
    void emptyTexts() {
        RougeScorer scorer = new RougeScorer(List.of("rouge1", "rougeL", "rougeLsum"), true);
        scorer.score("", "something").values().forEach(s -> assertEquals(RougeScore.ZERO, s));
    }

    @Test
    void lcsBacktrackPrefersMovingUp() {
        assertEquals(List.of(0), RougeScorer.lcsIndices(List.of("a", "b"), List.of("b", "a")));
    }

    @Test
    void rejectsUnknownTypes() {
        assertThrows(JllmException.class, () -> new RougeScorer(List.of("rougeW"), false));
        assertThrows(JllmException.class, () -> new RougeScorer(List.of("rouge0"), false));
        assertThrows(JllmException.class, () -> new RougeScorer(List.of("rouge10"), false));
    }
}
