package dev.jllm.eval.rouge;

/** Precision, recall and F-measure of one ROUGE type, as rouge_score's {@code Score} tuple. */
public record RougeScore(double precision, double recall, double fmeasure) {
    public static final RougeScore ZERO = new RougeScore(0, 0, 0);

    /** rouge_score's {@code fmeasure}: the harmonic mean, 0 when both are 0. */
    public static RougeScore of(double precision, double recall) {
        double f = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
        return new RougeScore(precision, recall, f);
    }
}
