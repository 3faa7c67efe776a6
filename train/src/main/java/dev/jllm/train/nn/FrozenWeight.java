package dev.jllm.train.nn;

/**
 * A linear layer's weight kept in another representation (4-bit, 8-bit) that computes the layer's products itself.
 * It is frozen: backward asks only for the input gradient. Matrices are {@code [out, in]} as in {@link LinearLayer}.
 */
public interface FrozenWeight extends MatrixProducts {

    /** The weight as float32 values, for merging an adapter or saving a dequantized copy (a new array each call). */
    float[] dequantized();
}
