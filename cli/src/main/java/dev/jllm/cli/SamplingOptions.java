package dev.jllm.cli;

import dev.jllm.model.generate.GenerationOptions;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/** The generation options shared by {@code generate} and {@code chat} (a picocli mixin). */
public final class SamplingOptions {
    @Option(names = "--max-new-tokens", description = "Most tokens to generate (wins over --max-length).")
    Integer maxNewTokens;

    @Option(names = "--max-length", description = "Most tokens in prompt plus output (transformers' default 20 when neither is set).")
    Integer maxLength;

    @Option(names = "--do-sample", negatable = true,
            description = "Sample instead of greedy decoding (--no-do-sample forces greedy over generation_config.json).")
    Boolean doSample;

    @Option(names = "--temperature", description = "Sampling temperature (> 0).")
    Double temperature;

    @Option(names = "--top-k", description = "Keep the k most likely tokens (0 disables; transformers' default 50).")
    Integer topK;

    @Option(names = "--top-p", description = "Nucleus sampling: keep the smallest set with this probability mass.")
    Double topP;

    @Option(names = "--min-p", description = "Drop tokens below this fraction of the top token's probability.")
    Double minP;

    @Option(names = "--repetition-penalty", description = "Penalty for tokens already in the prompt or output (1 = off).")
    Double repetitionPenalty;

    @Option(names = "--seed", description = "Random seed for sampling (reproducible runs).")
    Long seed;

    @Option(names = "--stop", description = "Stop when the output contains this string (repeatable).")
    List<String> stop = new ArrayList<>();

    /** Applies every option given on the command line over the model's defaults. */
    GenerationOptions apply(GenerationOptions.Builder b) {
        if (maxNewTokens != null) b.maxNewTokens(maxNewTokens);
        if (maxLength != null) b.maxLength(maxLength);
        if (doSample != null) b.doSample(doSample);
        if (temperature != null) b.temperature(temperature);
        if (topK != null) b.topK(topK);
        if (topP != null) b.topP(topP);
        if (minP != null) b.minP(minP);
        if (repetitionPenalty != null) b.repetitionPenalty(repetitionPenalty);
        if (seed != null) b.seed(seed);
        if (!stop.isEmpty()) b.stopStrings(stop);
        return b.build();
    }
}
