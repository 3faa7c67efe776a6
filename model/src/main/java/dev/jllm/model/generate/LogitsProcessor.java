package dev.jllm.model.generate;

import dev.jllm.core.JllmException;

import java.util.Arrays;

/**
 * One step of transformers' logits processing, applied in place to the next-token scores. The classes mirror
 * transformers' {@code RepetitionPenaltyLogitsProcessor}, {@code TemperatureLogitsWarper},
 * {@code TopKLogitsWarper}, {@code TopPLogitsWarper} and {@code MinPLogitsWarper}; removed tokens get
 * {@code -infinity}, and every warper keeps at least one token ({@code min_tokens_to_keep = 1}).
 */
public sealed interface LogitsProcessor {

    /**
     * @param scores  the next-token scores, modified in place
     * @param context every token id so far (prompt and generated)
     */
    void apply(float[] scores, int[] context, int contextLength);

    /** Each distinct id in the context once: {@code s < 0 ? s * penalty : s / penalty}. */
    record RepetitionPenalty(float penalty) implements LogitsProcessor {
        public RepetitionPenalty {
            if (!(penalty > 0)) throw new JllmException("repetition penalty must be > 0, got " + penalty);
        }

        @Override
        public void apply(float[] scores, int[] context, int contextLength) {
            boolean[] seen = new boolean[scores.length];
            for (int i = 0; i < contextLength; i++) {
                int id = context[i];
                if (id < 0 || id >= scores.length || seen[id]) continue;
                seen[id] = true;
                float s = scores[id];
                scores[id] = s < 0 ? s * penalty : s / penalty;
            }
        }
    }

    record Temperature(float temperature) implements LogitsProcessor {
        public Temperature {
            if (!(temperature > 0)) {
                throw new JllmException("temperature must be > 0 when sampling, got " + temperature
                        + " (for greedy decoding, do not sample)");
            }
        }

        @Override
        public void apply(float[] scores, int[] context, int contextLength) {
            for (int i = 0; i < scores.length; i++) scores[i] /= temperature;
        }
    }

    /** Keeps every token whose score is at least the k-th largest (ties with the k-th survive, as in torch). */
    record TopK(int k) implements LogitsProcessor {
        public TopK {
            if (k <= 0) throw new JllmException("top-k must be a positive integer, got " + k);
        }

        @Override
        public void apply(float[] scores, int[] context, int contextLength) {
            int keep = Math.min(k, scores.length);
            if (keep >= scores.length) return;
            float[] sorted = scores.clone();
            Arrays.sort(sorted);
            float threshold = sorted[sorted.length - keep];
            for (int i = 0; i < scores.length; i++) if (scores[i] < threshold) scores[i] = Float.NEGATIVE_INFINITY;
        }
    }

    /**
     * Nucleus: sorts ascending, removes the tokens whose cumulative probability (from the least likely up) is
     * {@code <= 1 - p}; the most likely token always stays.
     */
    record TopP(float p) implements LogitsProcessor {
        public TopP {
            if (!(p >= 0 && p <= 1)) throw new JllmException("top-p must be in [0, 1], got " + p);
        }

        @Override
        public void apply(float[] scores, int[] context, int contextLength) {
            Integer[] order = ascendingOrder(scores);
            float[] probs = Softmax.probabilities(scores);
            float cumulative = 0;
            float limit = 1 - p;
            for (int r = 0; r < order.length - 1; r++) {  // the last (most likely) token is always kept
                cumulative += probs[order[r]];
                if (cumulative <= limit) scores[order[r]] = Float.NEGATIVE_INFINITY;
                else break;
            }
        }
    }

    /** Removes tokens whose probability is below {@code minP} times the top token's probability. */
    record MinP(float minP) implements LogitsProcessor {
        public MinP {
            if (!(minP >= 0 && minP <= 1)) throw new JllmException("min-p must be in [0, 1], got " + minP);
        }

        @Override
        public void apply(float[] scores, int[] context, int contextLength) {
            float[] probs = Softmax.probabilities(scores);
            float top = 0;
            int best = 0;
            for (int i = 0; i < probs.length; i++) {
                if (probs[i] > top) {
                    top = probs[i];
                    best = i;
                }
            }
            float threshold = minP * top;
            for (int i = 0; i < probs.length; i++) {
                if (probs[i] < threshold && i != best) scores[i] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    private static Integer[] ascendingOrder(float[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
        return order;
    }
}
