package dev.jllm.eval.bleu;

/**
 * A BLEU result with sacrebleu's fields. {@code counts} and {@code totals} are doubles because add-k smoothing
 * adds its (possibly fractional) value to them in place for orders above 1, as sacrebleu reports them.
 *
 * @param score      BLEU on the 0-100 scale
 * @param counts     matched n-grams per order
 * @param totals     hypothesis n-grams per order
 * @param precisions smoothed n-gram precisions per order, 0-100
 * @param bp         brevity penalty
 * @param sysLen     hypothesis length in tokens
 * @param refLen     reference length in tokens (closest reference per segment)
 */
public record BleuScore(double score, double[] counts, double[] totals, double[] precisions, double bp,
                        long sysLen, long refLen) {
}
