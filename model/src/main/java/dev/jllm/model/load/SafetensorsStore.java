package dev.jllm.model.load;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.WeightMatrix;

import java.nio.file.Path;
import java.util.Arrays;

/** Weights of a Hugging Face checkpoint (single or sharded safetensors), memory-mapped. */
public final class SafetensorsStore implements TensorStore {
    private final Checkpoint checkpoint;

    public SafetensorsStore(Path folder) {
        this.checkpoint = Checkpoint.open(folder);
    }

    public Checkpoint checkpoint() {
        return checkpoint;
    }

    @Override
    public String source() {
        return checkpoint.source().toString();
    }

    @Override
    public boolean has(String name) {
        return checkpoint.has(name);
    }

    private SafeTensor tensor(String name, long... shape) {
        SafeTensor t = checkpoint.tensor(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new JllmException(source() + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape) + " from config.json");
        }
        if (t.dtype() != DType.F32 && t.dtype() != DType.F16 && t.dtype() != DType.BF16) {
            throw new JllmException(source() + ": tensor '" + name + "' has dtype " + t.dtype() + "; weights must be F32, F16 or BF16");
        }
        return t;
    }

    @Override
    public WeightMatrix matrix(String name, int rows, int cols) {
        SafeTensor t = tensor(name, rows, cols);
        try {
            return WeightMatrix.of(t.dtype(), t.data(), rows, cols);
        } catch (JllmException e) {
            throw new JllmException(source() + ": tensor '" + name + "': " + e.getMessage(), e);
        }
    }

    @Override
    public float[] vector(String name, int length) {
        return tensor(name, length).toFloatArray();
    }

    @Override
    public void close() {
        checkpoint.close();
    }
}
