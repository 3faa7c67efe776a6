package dev.jllm.eval.task;

import dev.jllm.core.JllmException;
import dev.jllm.eval.perplexity.LogitsSource;
import dev.jllm.eval.perplexity.Perplexity;
import dev.jllm.text.tokenizer.Tokenizer;

import java.util.Arrays;
import java.util.List;

/**
 * Multiple choice by log-likelihood, as lm-evaluation-harness scores {@code output_type: multiple_choice}: each
 * choice is the continuation {@code " " + choice} of the prompt; its log-likelihood is the sum of the log
 * probabilities of its tokens. {@code acc} takes the choice with the highest log-likelihood, {@code acc_norm} the
 * highest log-likelihood divided by the choice's length in characters. Tokenization follows the harness's
 * {@code _encode_pair}: trailing spaces of the context move to the continuation, the continuation's tokens are
 * those of {@code encode(context + continuation)} after the context's, no special tokens are added, and an empty
 * context is replaced by the BOS token.
 */
public final class MultipleChoice {
    public static final String TARGET_DELIMITER = " ";

    public record Outcome(double[] logLikelihoods, int predicted, int predictedNorm, int gold) {
        public double acc() {
            return predicted == gold ? 1 : 0;
        }

        public double accNorm() {
            return predictedNorm == gold ? 1 : 0;
        }
    }

    private MultipleChoice() {
    }

    public static Outcome score(LogitsSource model, Tokenizer tokenizer, String context, List<String> choices, int gold) {
        double[] ll = new double[choices.size()];
        double[] norm = new double[choices.size()];
        for (int i = 0; i < choices.size(); i++) {
            ll[i] = logLikelihood(model, tokenizer, context, TARGET_DELIMITER + choices.get(i));
            norm[i] = ll[i] / choices.get(i).length();
        }
        return new Outcome(ll, argmax(ll), argmax(norm), gold);
    }

    /** {@code log p(continuation | context)} summed over the continuation's tokens. */
    public static double logLikelihood(LogitsSource model, Tokenizer tokenizer, String context, String continuation) {
        int spaces = context.length() - context.stripTrailing().length();
        if (spaces > 0) {
            continuation = context.substring(context.length() - spaces) + continuation;
            context = context.substring(0, context.length() - spaces);
        }
        int[] whole = tokenizer.encode(context + continuation, false);
        int[] ctx = tokenizer.encode(context, false);
        int[] cont = Arrays.copyOfRange(whole, Math.min(ctx.length, whole.length), whole.length);
        if (context.isEmpty()) {
            ctx = new int[]{tokenizer.bosTokenId().orElseThrow(() -> new JllmException("an empty context needs a BOS token"))};
        }
        if (cont.length == 0) throw new JllmException("the continuation '" + continuation + "' encodes to no tokens");
        int[] all = new int[ctx.length + cont.length];
        System.arraycopy(ctx, 0, all, 0, ctx.length);
        System.arraycopy(cont, 0, all, ctx.length, cont.length);
        // The harness keeps the last max_length + 1 tokens and feeds all but the last.
        int keep = Math.min(all.length, model.contextLength() + 1);
        if (cont.length >= keep) throw new JllmException("the continuation has " + cont.length + " tokens, more than the model's context");
        int[] window = Arrays.copyOfRange(all, all.length - keep, all.length);
        float[][] logits = model.logits(Arrays.copyOf(window, window.length - 1));
        double sum = 0;
        for (int j = 0; j < cont.length; j++) {
            int pos = window.length - cont.length + j;
            sum -= Perplexity.crossEntropy(logits[pos - 1], window[pos]);
        }
        return sum;
    }

    private static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
