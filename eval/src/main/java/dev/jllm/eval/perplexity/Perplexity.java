package dev.jllm.eval.perplexity;

import dev.jllm.core.JllmException;
import dev.jllm.model.Model;
import dev.jllm.text.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Perplexity as Hugging Face computes it. Cross-entropy is {@code logsumexp(logits[t]) - logits[t][ids[t+1]]} in
 * float64 over the float32 logits.
 */
public final class Perplexity {

    /** Options of the Hugging Face metric; {@code maxLength} 0 means no truncation, {@code stride} 0 no window. */
    public record Options(boolean addStartToken, int maxLength, int stride) {
        public static Options defaults() {
            return new Options(true, 0, 0);
        }
    }

    private Perplexity() {
    }

    /** A model as a {@link LogitsSource}. */
    public static LogitsSource of(Model model) {
        return new LogitsSource() {
            @Override
            public float[][] logits(int[] ids) {
                return model.logits(ids);
            }

            @Override
            public int contextLength() {
                return model.config().maxPositionEmbeddings();
            }
        };
    }

    /**
     * The metric's per-text computation: every token after the first is predicted from all tokens before it,
     * in one forward pass over the whole sequence.
     */
    public static TextPerplexity ofIds(LogitsSource model, int[] ids) {
        if (ids.length < 2) {
            throw new JllmException("perplexity needs at least 2 tokens (one to condition on, one to predict); got " + ids.length);
        }
        if (ids.length > model.contextLength()) {
            throw new JllmException(ids.length + " tokens exceed the model's context of " + model.contextLength()
                    + " tokens; use a stride (sliding window) or a max length");
        }
        float[][] logits = model.logits(ids);
        double[] nll = new double[ids.length - 1];
        double sum = 0;
        for (int t = 0; t + 1 < ids.length; t++) {
            nll[t] = crossEntropy(logits[t], ids[t + 1]);
            sum += nll[t];
        }
        return new TextPerplexity(nll.length, nll, sum, nll.length, Math.exp(sum / nll.length));
    }

    /**
     * transformers' sliding-window recipe: windows of {@code maxLength} tokens starting every {@code stride}
     * tokens; each window scores only the tokens the previous window did not reach, conditioning on up to
     * {@code maxLength - trg_len} tokens of context. As in the recipe, each window's mean loss is weighted by
     * its number of unmasked labels minus one ({@code num_valid_tokens - batch_size}), which for every window but
     * the first is one less than the tokens it scores; the perplexity is {@code exp(Σ weight·mean / Σ weight)}.
     * {@code tokenNll} lists every scored token's loss, unweighted.
     */
    public static TextPerplexity slidingWindow(LogitsSource model, int[] ids, int maxLength, int stride) {
        if (maxLength < 2) throw new JllmException("max length must be at least 2, got " + maxLength);
        if (stride < 1 || stride > maxLength) throw new JllmException("stride must be in [1, max length " + maxLength + "], got " + stride);
        if (maxLength > model.contextLength()) {
            throw new JllmException("max length " + maxLength + " exceeds the model's context of " + model.contextLength() + " tokens");
        }
        if (ids.length < 2) {
            throw new JllmException("perplexity needs at least 2 tokens; got " + ids.length);
        }
        List<Double> scored = new ArrayList<>();
        double weightedSum = 0;
        double weights = 0;
        int prevEnd = 0;
        for (int begin = 0; begin < ids.length; begin += stride) {
            int end = Math.min(begin + maxLength, ids.length);
            int trgLen = end - prevEnd;
            int[] window = java.util.Arrays.copyOfRange(ids, begin, end);
            // Labels are the last trgLen positions of the window; shifted by one, position 0 never counts.
            int firstLabel = Math.max(window.length - trgLen, 1);
            int counted = window.length - firstLabel;
            if (counted > 0) {
                float[][] logits = model.logits(window);
                double sum = 0;
                for (int p = firstLabel; p < window.length; p++) {
                    double ce = crossEntropy(logits[p - 1], window[p]);
                    scored.add(ce);
                    sum += ce;
                }
                int weight = Math.min(trgLen, window.length) - 1;
                weightedSum += sum / counted * weight;
                weights += weight;
            }
            prevEnd = end;
            if (end == ids.length) break;
        }
        if (weights <= 0) {
            throw new JllmException("the sliding window scored no token with a positive weight (stride " + stride + ", max length " + maxLength + ")");
        }
        double[] nll = scored.stream().mapToDouble(Double::doubleValue).toArray();
        return new TextPerplexity(nll.length, nll, weightedSum, weights, Math.exp(weightedSum / weights));
    }

    /**
     * The Hugging Face metric over texts: each is tokenized without special tokens, truncated to
     * {@code maxLength} (minus one when a start token is added), prefixed with the BOS token when
     * {@code addStartToken}, and scored; with a stride, long texts go through {@link #slidingWindow} instead of
     * being truncated.
     */
    public static PerplexityResult evaluate(LogitsSource model, Tokenizer tokenizer, List<String> texts, Options options,
                                            IntConsumer progress) {
        List<TextPerplexity> out = new ArrayList<>();
        int bos = -1;
        if (options.addStartToken()) {
            bos = tokenizer.bosTokenId().orElseThrow(() -> new JllmException(tokenizer.source()
                    + ": the tokenizer has no BOS token; perplexity with a start token needs one (use no start token)"));
        }
        for (int i = 0; i < texts.size(); i++) {
            int[] body = tokenizer.encode(texts.get(i), false);
            int[] ids;
            if (options.addStartToken()) {
                ids = new int[body.length + 1];
                ids[0] = bos;
                System.arraycopy(body, 0, ids, 1, body.length);
            } else {
                ids = body;
            }
            int limit = options.maxLength() > 0 ? options.maxLength() : model.contextLength();
            try {
                if (options.stride() > 0) {
                    out.add(slidingWindow(model, ids, limit, options.stride()));
                } else {
                    if (options.maxLength() > 0 && ids.length > limit) ids = java.util.Arrays.copyOf(ids, limit);
                    out.add(ofIds(model, ids));
                }
            } catch (JllmException e) {
                throw new JllmException("text " + (i + 1) + ": " + e.getMessage(), e);
            }
            if (progress != null) progress.accept(i + 1);
        }
        return PerplexityResult.of(out);
    }

    /** {@code logsumexp(row) - row[target]} in float64. */
    public static double crossEntropy(float[] row, int target) {
        if (target < 0 || target >= row.length) {
            throw new JllmException("token id " + target + " is outside the vocabulary [0, " + row.length + ")");
        }
        return logSumExp(row) - row[target];
    }

    public static double logSumExp(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) max = Math.max(max, v);
        if (max == Double.NEGATIVE_INFINITY) return max;
        double sum = 0;
        for (float v : row) sum += Math.exp(v - max);
        return max + Math.log(sum);
    }
}
