package dev.jllm.eval.judge;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JudgeTest {

    @Test
    void pairwiseParsing() {
        assertEquals(Verdicts.Pairwise.A, Verdicts.pairwise("Assistant A is more accurate. [[A]]"));
        assertEquals(Verdicts.Pairwise.B, Verdicts.pairwise("[[ b ]]"));
        assertEquals(Verdicts.Pairwise.TIE, Verdicts.pairwise("Both fine. [[C]]"));
        assertEquals(Verdicts.Pairwise.TIE, Verdicts.pairwise("[[tie]]"));
        // The conclusion comes last: "[[A]]" quoted from the instructions earlier does not count.
        assertEquals(Verdicts.Pairwise.B, Verdicts.pairwise("The format says \"[[A]]\" if A is better... Final: [[B]]"));
        assertEquals(Verdicts.Pairwise.B, Verdicts.pairwise("My verdict: B"));
        assertEquals(Verdicts.Pairwise.A, Verdicts.pairwise("The better response is Assistant A."));
        assertEquals(Verdicts.Pairwise.INVALID, Verdicts.pairwise("I cannot decide."));
        assertEquals(Verdicts.Pairwise.INVALID, Verdicts.pairwise(""));
        assertEquals(Verdicts.Pairwise.INVALID, Verdicts.pairwise(null));
        assertEquals(Verdicts.Pairwise.INVALID, Verdicts.pairwise("[[D]] [[A"));
        assertEquals(Verdicts.Pairwise.INVALID, Verdicts.pairwise("\u0000\uFFFF\uD800 ]]]][[[["));
    }

    @Test
    void ratingParsing() {
        assertEquals(OptionalDouble.of(7), Verdicts.rating("Rating: [[7]]", 1, 10));
        assertEquals(OptionalDouble.of(8.5), Verdicts.rating("[[8.5]]", 1, 10));
        assertEquals(OptionalDouble.of(9), Verdicts.rating("[[9/10]]", 1, 10));
        assertEquals(OptionalDouble.of(6), Verdicts.rating("Score: 6 out of 10", 1, 10));
        assertEquals(OptionalDouble.of(4), Verdicts.rating("Rating: **4**/10", 1, 10));
        assertEquals(OptionalDouble.empty(), Verdicts.rating("[[11]]", 1, 10));
        assertEquals(OptionalDouble.empty(), Verdicts.rating("[[0]]", 1, 10));
        assertEquals(OptionalDouble.empty(), Verdicts.rating("[[-3]]", 1, 10));
        assertEquals(OptionalDouble.empty(), Verdicts.rating("[[99999999999999999999999999999999999999]]", 1, 10));
        assertEquals(OptionalDouble.empty(), Verdicts.rating("great answer!", 1, 10));
        assertEquals(OptionalDouble.empty(), Verdicts.rating(null, 1, 10));
    }

    @Test
    void safetyParsing() {
        assertEquals(Verdicts.Safety.UNSAFE, Verdicts.safety("It explains how to build a weapon. [[UNSAFE]]"));
        assertEquals(Verdicts.Safety.SAFE, Verdicts.safety("A refusal. [[safe]]"));
        assertEquals(Verdicts.Safety.UNSAFE, Verdicts.safety("This is not safe."));
        assertEquals(Verdicts.Safety.INVALID, Verdicts.safety("hmm"));
        assertEquals(Verdicts.Safety.INVALID, Verdicts.safety(null));
    }

    @Test
    void parsingNeverThrowsOnRandomOrHugeInput() {
        Random r = new Random(7);
        String alphabet = "[]AaBbCc0123456789./: \n*tievrdscoingafeUNSAFE\u00e9\uD83D\uDE00";
        for (int i = 0; i < 2000; i++) {
            StringBuilder b = new StringBuilder();
            int len = r.nextInt(200);
            for (int j = 0; j < len; j++) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
            Verdicts.pairwise(b.toString());
            Verdicts.rating(b.toString(), 1, 10);
            Verdicts.safety(b.toString());
        }
        String huge = "[[".repeat(500_000) + " verdict: " + "A".repeat(100_000) + " [[B]]";
        assertEquals(Verdicts.Pairwise.B, Verdicts.pairwise(huge));
    }

    /** A judge that always prefers whatever is in position A: every pairwise result must come out as a tie. */
    @Test
    void positionBiasedJudgeGivesTies() {
        List<String> prompts = new ArrayList<>();
        LlmJudge judge = new LlmJudge(p -> {
            prompts.add(p);
            return "Assistant A wins. [[A]]";
        }, JudgePrompts.defaults(), null);
        LlmJudge.PairwiseResult r = judge.pairwise("Q?", "first answer", "second answer", null);
        assertEquals(Verdicts.Pairwise.TIE, r.verdict());
        assertFalse(r.consistent());
        assertEquals(Verdicts.Pairwise.A, r.firstOrder());
        assertEquals(Verdicts.Pairwise.B, r.swappedOrder());
        // The second prompt really has the answers swapped.
        assertTrue(prompts.get(0).indexOf("first answer") < prompts.get(0).indexOf("second answer"));
        assertTrue(prompts.get(1).indexOf("second answer") < prompts.get(1).indexOf("first answer"));
    }

    /** A judge that prefers the answer containing "42", wherever it is shown: consistent wins for that answer. */
    @Test
    void contentJudgeWinsInBothOrders() {
        JudgeModel scripted = p -> {
            int a = p.indexOf("[The Start of Assistant A's Answer]");
            int b = p.indexOf("[The Start of Assistant B's Answer]");
            String aText = p.substring(a, b);
            return aText.contains("42") ? "[[A]]" : "[[B]]";
        };
        LlmJudge judge = new LlmJudge(scripted, JudgePrompts.defaults(), null);
        assertEquals(Verdicts.Pairwise.A, judge.pairwise("Answer?", "It is 42", "It is 41", null).verdict());
        LlmJudge.PairwiseResult r = judge.pairwise("Answer?", "It is 41", "It is 42", "42");
        assertEquals(Verdicts.Pairwise.B, r.verdict());
        assertTrue(r.consistent());
        var summary = LlmJudge.summarizePairwise(List.of(r, judge.pairwise("Q", "42", "x", null)));
        assertEquals(0.5, summary.get("win_rate_a"));
        assertEquals(0.5, summary.get("win_rate_b"));
    }

    @Test
    void garbageJudgeIsInvalidNotACrash() {
        LlmJudge judge = new LlmJudge(p -> null, JudgePrompts.defaults(), "accuracy");
        assertEquals(Verdicts.Pairwise.INVALID, judge.pairwise("q", "a", "b", null).verdict());
        assertTrue(judge.pointwise("q", "a", "ref").rating().isEmpty());
        assertEquals(Verdicts.Safety.INVALID, judge.safety("q", "a").verdict());
        var s = LlmJudge.summarizePairwise(List.of(judge.pairwise("q", "a", "b", null)));
        assertEquals(1.0, s.get("invalid"));
        assertTrue(s.get("win_rate_a").isNaN());
    }

    @Test
    void referenceGuidedPromptsCarryTheReferenceAndPlaceholdersInAnswersStay() {
        List<String> prompts = new ArrayList<>();
        LlmJudge judge = new LlmJudge(p -> {
            prompts.add(p);
            return "Rating: [[6]]";
        }, JudgePrompts.defaults(), null);
        assertEquals(OptionalDouble.of(6), judge.pointwise("2+2?", "It is {reference}", "4").rating());
        assertTrue(prompts.getFirst().contains("[The Start of Reference Answer]\n4\n"));
        assertTrue(prompts.getFirst().contains("It is {reference}"));
    }
}
