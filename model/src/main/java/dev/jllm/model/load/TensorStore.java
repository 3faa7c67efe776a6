package dev.jllm.model.load;

import dev.jllm.core.tensor.WeightMatrix;

/**
 * Weights by Hugging Face parameter name, whatever file holds them; shapes are validated against what the
 * config implies, and every error names the file and the tensor.
 */
public sealed interface TensorStore extends AutoCloseable permits SafetensorsStore, GgufStore {

    /** The file or folder (for messages). */
    String source();

    boolean has(String name);

    /** A {@code [rows, cols]} weight read in place (quantized types stay quantized). */
    WeightMatrix matrix(String name, int rows, int cols);

    /** A 1-D tensor of {@code length} values, as floats. */
    float[] vector(String name, int length);

    @Override
    void close();
}
