package dev.jllm.eval.bleu;

import dev.jllm.core.JllmException;

/**
 * How BLEU is computed, mirroring sacrebleu's {@code BLEU(...)} arguments.
 *
 * @param tokenizer       how segments are split into tokens
 * @param lowercase       lowercase hypotheses and references before tokenizing
 * @param smoothMethod    smoothing of zero n-gram precisions
 * @param smoothValue     the value for {@code floor} and {@code add-k}; null takes the method's default
 * @param maxNgramOrder   the highest n-gram order (sacrebleu's default 4)
 * @param effectiveOrder  stop at the first order with no hypothesis n-grams (recommended for sentence BLEU)
 */
public record BleuOptions(BleuTokenizer tokenizer, boolean lowercase, SmoothMethod smoothMethod, Double smoothValue,
                          int maxNgramOrder, boolean effectiveOrder) {

    public static final int DEFAULT_MAX_NGRAM_ORDER = 4;

    public BleuOptions {
        if (tokenizer == null) throw new JllmException("BLEU options: tokenizer is missing");
        if (smoothMethod == null) throw new JllmException("BLEU options: smoothing method is missing");
        if (maxNgramOrder < 1) throw new JllmException("BLEU options: max n-gram order must be at least 1, got " + maxNgramOrder);
        if (smoothValue != null && !smoothMethod.takesValue()) {
            throw new JllmException("BLEU options: smoothing method '" + smoothMethod.sacrebleuName() + "' takes no value");
        }
    }

    /** sacrebleu's {@code BLEU()} defaults: 13a, mixed case, exp smoothing, order 4, no effective order. */
    public static BleuOptions corpusDefaults() {
        return new BleuOptions(BleuTokenizer.THIRTEEN_A, false, SmoothMethod.EXP, null, DEFAULT_MAX_NGRAM_ORDER, false);
    }

    /** The defaults of sacrebleu's {@code sentence_bleu()}: as {@link #corpusDefaults()} with effective order. */
    public static BleuOptions sentenceDefaults() {
        return corpusDefaults().withEffectiveOrder(true);
    }

    public BleuOptions withTokenizer(BleuTokenizer t) {
        return new BleuOptions(t, lowercase, smoothMethod, smoothValue, maxNgramOrder, effectiveOrder);
    }

    public BleuOptions withLowercase(boolean lc) {
        return new BleuOptions(tokenizer, lc, smoothMethod, smoothValue, maxNgramOrder, effectiveOrder);
    }

    public BleuOptions withSmoothing(SmoothMethod method, Double value) {
        return new BleuOptions(tokenizer, lowercase, method, value, maxNgramOrder, effectiveOrder);
    }

    public BleuOptions withMaxNgramOrder(int order) {
        return new BleuOptions(tokenizer, lowercase, smoothMethod, smoothValue, order, effectiveOrder);
    }

    public BleuOptions withEffectiveOrder(boolean eff) {
        return new BleuOptions(tokenizer, lowercase, smoothMethod, smoothValue, maxNgramOrder, eff);
    }

    /** The smoothing value in effect: the given one, else the method's default (null for none and exp). */
    public Double effectiveSmoothValue() {
        return smoothValue != null ? smoothValue : smoothMethod.defaultValue();
    }
}
