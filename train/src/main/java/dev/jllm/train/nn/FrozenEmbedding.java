package dev.jllm.train.nn;

/**
 * A frozen embedding table kept in another representation than float32 (16-bit): the model's lookup reads it
 * row by row, and its gradient is never asked for.
 */
public interface FrozenEmbedding {
    /** {@code y[t] = table[ids[t]]} as float32; an id outside the table is an {@link IllegalArgumentException}. */
    void gather(float[] y, int[] ids);

    /** The table as float32 values (saving it dense; a new array each call). */
    float[] dequantized();
}
