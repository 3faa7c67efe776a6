package dev.jllm.model.generate;

import dev.jllm.core.JllmException;
import dev.jllm.model.config.GenerationConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * The knobs of {@link Generator}, with transformers' meaning and defaults ({@code GenerationConfig}): greedy unless
 * {@code doSample}; {@code topK} 50, {@code topP} 1, {@code temperature} 1; the length limit is
 * {@code maxNewTokens} when set, else {@code maxLength} (prompt included, default 20).
 *
 * @param maxNewTokens      null when unset
 * @param minP              null when unset
 * @param topK              0 disables top-k
 * @param repetitionPenalty 1 disables it
 * @param seed              null for a random seed
 */
public record GenerationOptions(
        Integer maxNewTokens,
        int maxLength,
        boolean doSample,
        double temperature,
        int topK,
        double topP,
        Double minP,
        double repetitionPenalty,
        List<Integer> eosTokenIds,
        List<String> stopStrings,
        Long seed) {

    public GenerationOptions {
        eosTokenIds = List.copyOf(eosTokenIds);
        stopStrings = List.copyOf(stopStrings);
        if (maxNewTokens != null && maxNewTokens < 0) throw new JllmException("max new tokens must be >= 0, got " + maxNewTokens);
        if (maxLength <= 0) throw new JllmException("max length must be > 0, got " + maxLength);
        if (topK < 0) throw new JllmException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new JllmException("top-p must be in (0, 1], got " + topP);
        if (minP != null && !(minP >= 0 && minP <= 1)) throw new JllmException("min-p must be in [0, 1], got " + minP);
        if (!(repetitionPenalty > 0)) throw new JllmException("repetition penalty must be > 0, got " + repetitionPenalty);
        if (doSample && !(temperature > 0)) {
            throw new JllmException("temperature must be > 0 when sampling, got " + temperature);
        }
        for (String s : stopStrings) if (s.isEmpty()) throw new JllmException("stop strings must not be empty");
    }

    /** The token budget for a prompt of the given length: new tokens allowed after it. */
    public int newTokenBudget(int promptLength) {
        if (maxNewTokens != null) return maxNewTokens;
        return Math.max(0, maxLength - promptLength);
    }

    /**
     * The processors transformers' {@code generate} would build, in its order: repetition penalty, then (only
     * when sampling) temperature, top-k, top-p, min-p.
     */
    public List<LogitsProcessor> processors() {
        List<LogitsProcessor> list = new ArrayList<>();
        if (repetitionPenalty != 1.0) list.add(new LogitsProcessor.RepetitionPenalty((float) repetitionPenalty));
        if (doSample) {
            if (temperature != 1.0) list.add(new LogitsProcessor.Temperature((float) temperature));
            if (topK != 0) list.add(new LogitsProcessor.TopK(topK));
            if (topP < 1.0) list.add(new LogitsProcessor.TopP((float) topP));
            if (minP != null) list.add(new LogitsProcessor.MinP(minP.floatValue()));
        }
        return list;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from a model's generation_config.json values (transformers' defaults where unset). */
    public static Builder builder(GenerationConfig g) {
        Builder b = new Builder();
        if (g.maxNewTokens() != null) b.maxNewTokens = g.maxNewTokens();
        if (g.maxLength() != null) b.maxLength = g.maxLength();
        if (g.doSample() != null) b.doSample = g.doSample();
        if (g.temperature() != null) b.temperature = g.temperature();
        if (g.topK() != null) b.topK = g.topK();
        if (g.topP() != null) b.topP = g.topP();
        if (g.minP() != null) b.minP = g.minP();
        if (g.repetitionPenalty() != null) b.repetitionPenalty = g.repetitionPenalty();
        b.eosTokenIds = new ArrayList<>(g.eosTokenIds());
        return b;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.maxLength = maxLength;
        b.doSample = doSample;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.repetitionPenalty = repetitionPenalty;
        b.eosTokenIds = new ArrayList<>(eosTokenIds);
        b.stopStrings = new ArrayList<>(stopStrings);
        b.seed = seed;
        return b;
    }

    public static final class Builder {
        private Integer maxNewTokens;
        private int maxLength = 20;
        private boolean doSample;
        private double temperature = 1.0;
        private int topK = 50;
        private double topP = 1.0;
        private Double minP;
        private double repetitionPenalty = 1.0;
        private List<Integer> eosTokenIds = new ArrayList<>();
        private List<String> stopStrings = new ArrayList<>();
        private Long seed;

        private Builder() {}

        public Builder maxNewTokens(Integer n) { this.maxNewTokens = n; return this; }
        public Builder maxLength(int n) { this.maxLength = n; return this; }
        public Builder doSample(boolean b) { this.doSample = b; return this; }
        public Builder temperature(double t) { this.temperature = t; return this; }
        public Builder topK(int k) { this.topK = k; return this; }
        public Builder topP(double p) { this.topP = p; return this; }
        public Builder minP(Double p) { this.minP = p; return this; }
        public Builder repetitionPenalty(double r) { this.repetitionPenalty = r; return this; }
        public Builder eosTokenIds(List<Integer> ids) { this.eosTokenIds = new ArrayList<>(ids); return this; }
        public Builder stopStrings(List<String> s) { this.stopStrings = new ArrayList<>(s); return this; }
        public Builder seed(Long s) { this.seed = s; return this; }

        public GenerationOptions build() {
            return new GenerationOptions(maxNewTokens, maxLength, doSample, temperature, topK, topP, minP,
                    repetitionPenalty, eosTokenIds, stopStrings, seed);
        }
    }
}
