package dev.jllm.train.nn;

import dev.jllm.core.kernel.Parallel;
import dev.jllm.model.config.ModelConfig;

/**
 * Rotary position embedding in Hugging Face's {@code rotate_half} layout for training: the inference runtime's
 * frequencies, table and rotation ({@link dev.jllm.model.arch.Rope}), applied to whole batches. The rotation is
 * orthogonal, so backward is the same rotation by the opposite angle.
 */
public final class Rope {
    private Rope() {}

    /** The rotation factors of positions {@code [0, positions)} for this config (float32, as transformers forms them). */
    public static dev.jllm.model.arch.Rope.Table table(ModelConfig config, int positions) {
        return new dev.jllm.model.arch.Rope(config.headDim(), config.ropeTheta(), config.ropeScaling(),
                config.maxPositionEmbeddings()).table(0, positions);
    }

    /**
     * Rotates, in place, every head of every row of {@code x} ({@code [rows, heads·headDim]}); row r sits at
     * position {@code positions[r]}. {@code inverse} rotates the other way, which is the backward pass.
     */
    public static void apply(float[] x, int[] positions, int heads, dev.jllm.model.arch.Rope.Table table, boolean inverse) {
        int width = heads * 2 * table.half();
        for (int p : positions) {
            if (p < table.start() || p >= table.end()) {
                throw new IllegalArgumentException("position " + p + " outside the rotary table of positions [" + table.start()
                        + ", " + table.end() + ")");
            }
        }
        Parallel.forRange(positions.length, 16, (w, r0, r1) -> {
            for (int r = r0; r < r1; r++) table.rotate(x, r * width, heads, positions[r] - table.start(), inverse);
        });
    }
}
