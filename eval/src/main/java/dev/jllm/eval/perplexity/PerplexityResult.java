package dev.jllm.eval.perplexity;

import java.util.List;

/** Per-text perplexities and their plain mean, as the Hugging Face metric returns them. */
public record PerplexityResult(List<TextPerplexity> texts, double meanPerplexity) {

    public static PerplexityResult of(List<TextPerplexity> texts) {
        double sum = 0;
        for (TextPerplexity t : texts) sum += t.perplexity();
        return new PerplexityResult(List.copyOf(texts), texts.isEmpty() ? Double.NaN : sum / texts.size());
    }
}
