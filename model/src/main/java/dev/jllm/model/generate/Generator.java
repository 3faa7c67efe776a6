package dev.jllm.model.generate;

import dev.jllm.core.JllmException;
import dev.jllm.model.InferenceSession;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * transformers' {@code generate} loop for one sequence: a batched prefill of the prompt, then one token per step;
 * repetition penalty and (when sampling) temperature → top-k → top-p → min-p, then argmax or a draw from the
 * softmax; stops on any EOS id, on the length limit, on a stop string, or when the listener asks.
 *
 * <p>Sampling uses a {@link SplittableRandom} seeded from the options, so a seeded run is reproducible here; it
 * does not reproduce torch's random stream.
 */
public final class Generator {
    private final IntFunction<InferenceSession> sessions;
    private final Function<int[], String> decoder;

    /**
     * @param sessions a fresh session given a token capacity
     * @param decoder  turns generated ids into text (for stop strings); may be null when none are used
     */
    public Generator(IntFunction<InferenceSession> sessions, Function<int[], String> decoder) {
        this.sessions = sessions;
        this.decoder = decoder;
    }

    public GenerationResult generate(int[] promptIds, GenerationOptions options, TokenListener listener) {
        return generate(null, promptIds, options, listener);
    }

    /**
     * Continues {@code session}, which already holds a prefix of {@code promptIds} (its first
     * {@code session.position()} tokens, e.g. the earlier turns of a chat): only the rest is prefilled. A null
     * session starts a fresh one.
     */
    public GenerationResult generate(InferenceSession session, int[] promptIds, GenerationOptions options, TokenListener listener) {
        if (promptIds.length == 0) {
            throw new JllmException("the prompt is empty: generation needs at least one token (e.g. BOS)");
        }
        if (!options.stopStrings().isEmpty() && decoder == null) {
            throw new JllmException("stop strings need a tokenizer to decode the generated text");
        }
        int budget = options.newTokenBudget(promptIds.length);
        int[] context = Arrays.copyOf(promptIds, promptIds.length + budget);
        int length = promptIds.length;
        List<LogitsProcessor> processors = options.processors();
        SplittableRandom random = options.seed() != null ? new SplittableRandom(options.seed()) : new SplittableRandom();
        boolean[] eos = eosMask(options.eosTokenIds());
        if (budget == 0) {
            return new GenerationResult(promptIds.clone(), new int[0], GenerationResult.StopReason.LENGTH, 0, 0, 0, 0);
        }

        if (session == null) session = sessions.apply(promptIds.length + budget);
        int cached = session.position();
        if (cached >= promptIds.length) {
            throw new IllegalArgumentException("the session holds " + cached + " tokens; at least one of the "
                    + promptIds.length + " prompt tokens must be left to feed");
        }
        long t0 = System.nanoTime();
        float[] logits = session.append(Arrays.copyOfRange(promptIds, cached, promptIds.length));
        long prefillNanos = System.nanoTime() - t0;
        long decodeNanos = 0;
        int decodeSteps = 0;
        int generated = 0;
        int textChecked = 0;
        GenerationResult.StopReason reason = GenerationResult.StopReason.LENGTH;
        while (true) {
            float[] scores = logits.clone();
            for (LogitsProcessor p : processors) p.apply(scores, context, length);
            int next = options.doSample() ? sample(scores, random) : argmax(scores);
            context[length++] = next;
            generated++;
            boolean more = listener.onToken(next);
            if (next < eos.length && eos[next]) {
                reason = GenerationResult.StopReason.EOS;
                break;
            }
            if (!options.stopStrings().isEmpty()) {
                String text = decoder.apply(Arrays.copyOfRange(context, promptIds.length, length));
                if (endsWithStopString(text, textChecked, options.stopStrings())) {
                    reason = GenerationResult.StopReason.STOP_STRING;
                    break;
                }
                textChecked = text.length();
            }
            if (!more) {
                reason = GenerationResult.StopReason.LISTENER;
                break;
            }
            if (generated >= budget) break;
            long t = System.nanoTime();
            logits = session.append(new int[] {next});
            decodeNanos += System.nanoTime() - t;
            decodeSteps++;
        }
        return new GenerationResult(promptIds.clone(), Arrays.copyOfRange(context, promptIds.length, length), reason,
                promptIds.length - cached, prefillNanos, decodeNanos, decodeSteps);
    }

    /** A stop string occurrence that ends inside the text the newest token added (it may start earlier). */
    static boolean endsWithStopString(String text, int previousLength, List<String> stopStrings) {
        for (String s : stopStrings) {
            int from = Math.max(0, previousLength - s.length() + 1);
            if (text.indexOf(s, from) >= 0) return true;
        }
        return false;
    }

    private static boolean[] eosMask(List<Integer> ids) {
        int max = -1;
        for (int id : ids) max = Math.max(max, id);
        boolean[] mask = new boolean[max + 1];
        for (int id : ids) if (id >= 0) mask[id] = true;
        return mask;
    }

    /** The first index of the maximum, as torch.argmax. */
    public static int argmax(float[] scores) {
        int best = 0;
        for (int i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
        return best;
    }

    /** A draw from softmax(scores): the first index whose cumulative probability exceeds a uniform coin. */
    static int sample(float[] scores, SplittableRandom random) {
        float[] probs = Softmax.probabilities(scores);
        double coin = random.nextDouble();
        double cdf = 0;
        int last = -1;
        for (int i = 0; i < probs.length; i++) {
            if (probs[i] == 0) continue;
            cdf += probs[i];
            last = i;
            if (coin < cdf) return i;
        }
        return last;  // rounding left the cdf a hair under 1
    }
}
