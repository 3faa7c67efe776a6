package dev.jllm.model;

/**
 * One sequence being decoded: a KV cache plus its position. {@link #append} feeds tokens (a whole prompt in one
 * batched call, or one token at a time) and returns the next-token logits after the last of them.
 */
public interface InferenceSession {

    /** Runs the model over {@code tokens} at the next positions; returns the logits after the last token. */
    float[] append(int[] tokens);

    /** How many tokens the session holds. */
    int position();

    /** Forgets every token from position {@code length} on, so a different continuation can be fed. */
    void truncate(int length);

    /** The vocabulary size (length of every logits row). */
    int vocabSize();
}
