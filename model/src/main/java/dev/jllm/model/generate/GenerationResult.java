package dev.jllm.model.generate;

/**
 * What {@link Generator#generate} produced.
 *
 * @param promptIds     the prompt as fed
 * @param generatedIds  the new tokens (an EOS that ended generation included, as transformers returns it)
 * @param stopReason    why generation ended
 * @param prefillTokens prompt tokens fed in the batched prefill (fewer than the prompt when a session already
 *                      held its beginning)
 * @param prefillNanos  time of the batched prompt forward pass
 * @param decodeNanos   time of the one-token forward passes after it
 * @param decodeSteps   how many one-token forward passes ran
 */
public record GenerationResult(int[] promptIds, int[] generatedIds, StopReason stopReason, int prefillTokens,
                               long prefillNanos, long decodeNanos, int decodeSteps) {

    public enum StopReason { EOS, LENGTH, STOP_STRING, LISTENER }

    /** Prompt tokens per second of the prefill; NaN when there was none. */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? Double.NaN : prefillTokens * 1e9 / prefillNanos;
    }

    /** Tokens per second of the one-token decode steps; NaN when there were none. */
    public double decodeTokensPerSecond() {
        return decodeSteps == 0 || decodeNanos == 0 ? Double.NaN : decodeSteps * 1e9 / decodeNanos;
    }

    /** Prompt followed by the generated tokens. */
    public int[] allIds() {
        int[] all = new int[promptIds.length + generatedIds.length];
        System.arraycopy(promptIds, 0, all, 0, promptIds.length);
        System.arraycopy(generatedIds, 0, all, promptIds.length, generatedIds.length);
        return all;
    }
}
