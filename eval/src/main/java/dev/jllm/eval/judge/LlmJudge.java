package dev.jllm.eval.judge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Judging with a model. Pairwise comparisons are asked twice, with the answers in both positions; the second
 * verdict is mapped back to the original labels. Agreeing verdicts stand; disagreeing ones (position bias) count
 * as a tie, as do two ties; a run where either order cannot be parsed is {@code INVALID} and left out of the
 * rates.
 */
public final class LlmJudge {
    private final JudgeModel model;
    private final JudgePrompts prompts;
    private final String rubric;

    public LlmJudge(JudgeModel model, JudgePrompts prompts, String rubric) {
        this.model = model;
        this.prompts = prompts;
        this.rubric = rubric == null || rubric.isBlank() ? JudgePrompts.DEFAULT_RUBRIC : rubric;
    }

    /** One pairwise item: the verdict after both orders, each order's parsed verdict (original labels) and raw outputs. */
    public record PairwiseResult(Verdicts.Pairwise verdict, Verdicts.Pairwise firstOrder, Verdicts.Pairwise swappedOrder,
                                 boolean consistent, String firstOutput, String swappedOutput) {}

    public record PointwiseResult(OptionalDouble rating, String output) {}

    public record SafetyResult(Verdicts.Safety verdict, String output) {}

    /** @param reference null for no reference-guided grading */
    public PairwiseResult pairwise(String question, String answerA, String answerB, String reference) {
        String template = reference == null ? prompts.pairwise() : prompts.pairwiseWithReference();
        String first = ask(template, question, answerA, answerB, reference);
        String swapped = ask(template, question, answerB, answerA, reference);
        Verdicts.Pairwise v1 = Verdicts.pairwise(first);
        Verdicts.Pairwise v2 = swapBack(Verdicts.pairwise(swapped));
        Verdicts.Pairwise verdict;
        boolean consistent = v1 == v2;
        if (v1 == Verdicts.Pairwise.INVALID || v2 == Verdicts.Pairwise.INVALID) verdict = Verdicts.Pairwise.INVALID;
        else verdict = consistent ? v1 : Verdicts.Pairwise.TIE;
        return new PairwiseResult(verdict, v1, v2, consistent, first, swapped);
    }

    private String ask(String template, String question, String a, String b, String reference) {
        Map<String, String> values = new HashMap<>();
        values.put("question", question);
        values.put("answer_a", a);
        values.put("answer_b", b);
        values.put("rubric", rubric);
        if (reference != null) values.put("reference", reference);
        String out = model.complete(JudgePrompts.fill(template, values));
        return out == null ? "" : out;
    }

    static Verdicts.Pairwise swapBack(Verdicts.Pairwise v) {
        return switch (v) {
            case A -> Verdicts.Pairwise.B;
            case B -> Verdicts.Pairwise.A;
            default -> v;
        };
    }

    public PointwiseResult pointwise(String question, String answer, String reference) {
        Map<String, String> values = new HashMap<>();
        values.put("question", question);
        values.put("answer", answer);
        values.put("rubric", rubric);
        if (reference != null) values.put("reference", reference);
        String out = model.complete(JudgePrompts.fill(reference == null ? prompts.pointwise() : prompts.pointwiseWithReference(), values));
        return new PointwiseResult(Verdicts.rating(out, 1, 10), out == null ? "" : out);
    }

    public SafetyResult safety(String question, String answer) {
        String out = model.complete(JudgePrompts.fill(prompts.safety(), Map.of("question", question, "answer", answer)));
        return new SafetyResult(Verdicts.safety(out), out == null ? "" : out);
    }

    /** Win/tie rates over valid pairwise results, the inconsistency rate and the invalid count. */
    public static Map<String, Double> summarizePairwise(List<PairwiseResult> results) {
        int a = 0, b = 0, tie = 0, invalid = 0, inconsistent = 0;
        for (PairwiseResult r : results) {
            switch (r.verdict()) {
                case A -> a++;
                case B -> b++;
                case TIE -> tie++;
                case INVALID -> invalid++;
            }
            if (r.verdict() != Verdicts.Pairwise.INVALID && !r.consistent()) inconsistent++;
        }
        int valid = a + b + tie;
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("win_rate_a", valid == 0 ? Double.NaN : (double) a / valid);
        s.put("win_rate_b", valid == 0 ? Double.NaN : (double) b / valid);
        s.put("tie_rate", valid == 0 ? Double.NaN : (double) tie / valid);
        s.put("inconsistent_rate", valid == 0 ? Double.NaN : (double) inconsistent / valid);
        s.put("invalid", (double) invalid);
        s.put("judged", (double) results.size());
        return s;
    }

    public static Map<String, Double> summarizePointwise(List<PointwiseResult> results) {
        List<Double> ok = new ArrayList<>();
        for (PointwiseResult r : results) r.rating().ifPresent(ok::add);
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("mean_rating", ok.isEmpty() ? Double.NaN : ok.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
        s.put("invalid", (double) (results.size() - ok.size()));
        s.put("judged", (double) results.size());
        return s;
    }

    public static Map<String, Double> summarizeSafety(List<SafetyResult> results) {
        int unsafe = 0, invalid = 0;
        for (SafetyResult r : results) {
            if (r.verdict() == Verdicts.Safety.UNSAFE) unsafe++;
            if (r.verdict() == Verdicts.Safety.INVALID) invalid++;
        }
        int valid = results.size() - invalid;
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("flagged_rate", valid == 0 ? Double.NaN : (double) unsafe / valid);
        s.put("flagged", (double) unsafe);
        s.put("invalid", (double) invalid);
        s.put("judged", (double) results.size());
        return s;
    }
}
