package dev.jllm.eval.perplexity;

/** Next-token logits of a causal language model: row {@code t} follows {@code ids[0..t]}. */
public interface LogitsSource {

    /** Logits {@code [ids.length][vocab]} of one sequence, computed from scratch (no earlier context). */
    float[][] logits(int[] ids);

    /** The longest sequence one {@link #logits} call accepts. */
    int contextLength();
}
