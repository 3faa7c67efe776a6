package dev.jllm.train.nn;

import dev.jllm.model.config.ModelConfig;
import jdk.incubator.vector.FloatVector;

/**
 * Rotary position embedding in Hugging Face's {@code rotate_half} layout: within each head, element i is paired
 * with element i + d/2 and the pair is rotated by {@code position · invFreq[i]}. The rotation is orthogonal, so
 * backward is the same rotation by the opposite angle.
 */
public final class Rope {
    private static final jdk.incubator.vector.VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private Rope() {}

    /** {@code cos} and {@code sin} of {@code position · invFreq[i]}, row-major {@code [positions, headDim/2]}. */
    public record Table(int positions, int half, float[] cos, float[] sin) {
        /**
         * The angle is formed as transformers forms it in float32 training: a float32 inverse frequency times a
         * float32 position, rounded to float32 (at position 255 that rounding alone moves cos by ~1e-5, as much as
         * all other float32 noise of a small model's logits together); its cosine and sine are then rounded once.
         */
        public static Table of(double[] invFreq, int positions) {
            int half = invFreq.length;
            float[] cos = new float[positions * half];
            float[] sin = new float[positions * half];
            for (int p = 0; p < positions; p++) {
                for (int i = 0; i < half; i++) {
                    float angle = (float) p * (float) invFreq[i];
                    cos[p * half + i] = (float) Math.cos(angle);
                    sin[p * half + i] = (float) Math.sin(angle);
                }
            }
            return new Table(positions, half, cos, sin);
        }
    }

    /**
     * The rotary frequencies transformers' {@code modeling_rope_utils} derives for this config, for sequences of
     * {@code seqLen} positions (dynamic NTK scaling only changes them past {@code max_position_embeddings}): the
     * inference runtime's ({@link dev.jllm.model.arch.Rope#inverseFrequencies}), float32 as transformers keeps its
     * {@code inv_freq} buffer, so training and inference rotate by the same angles.
     */
    public static double[] inverseFrequencies(ModelConfig config, int seqLen) {
        float[] inv = new dev.jllm.model.arch.Rope(config.headDim(), config.ropeTheta(), config.ropeScaling(),
                config.maxPositionEmbeddings()).inverseFrequencies(seqLen);
        double[] out = new double[inv.length];
        for (int i = 0; i < inv.length; i++) out[i] = inv[i];
        return out;
    }

    /**
     * Rotates, in place, every head of every row of {@code x} ({@code [rows, heads·headDim]}); row r sits at
     * position {@code positions[r]}. {@code inverse} rotates the other way, which is the backward pass.
     */
    public static void apply(float[] x, int[] positions, int heads, Table table, boolean inverse) {
        int half = table.half();
        int dim = 2 * half;
        int width = heads * dim;
        float sign = inverse ? -1 : 1;
        for (int p : positions) {
            if (p < 0 || p >= table.positions()) {
                throw new IllegalArgumentException("position " + p + " outside the rotary table of " + table.positions());
            }
        }
        boolean vector = dev.jllm.core.kernel.Simd.enabled();
        dev.jllm.core.kernel.Parallel.forRange(positions.length, 16, (w, r0, r1) -> {
            float[] cosT = table.cos(), sinT = table.sin();
            for (int r = r0; r < r1; r++) {
                int c = positions[r] * half;
                for (int h = 0; h < heads; h++) {
                    int o = r * width + h * dim;
                    int i = 0;
                    if (vector) {
                        // the scalar loop's float operations, lane by lane
                        for (; i + F.length() <= half; i += F.length()) {
                            FloatVector cos = FloatVector.fromArray(F, cosT, c + i);
                            FloatVector sin = FloatVector.fromArray(F, sinT, c + i).mul(sign);
                            FloatVector x1 = FloatVector.fromArray(F, x, o + i), x2 = FloatVector.fromArray(F, x, o + i + half);
                            x1.mul(cos).sub(x2.mul(sin)).intoArray(x, o + i);
                            x2.mul(cos).add(x1.mul(sin)).intoArray(x, o + i + half);
                        }
                    }
                    for (; i < half; i++) {
                        float cos = cosT[c + i];
                        float sin = sign * sinT[c + i];
                        float x1 = x[o + i];
                        float x2 = x[o + i + half];
                        x[o + i] = x1 * cos - x2 * sin;
                        x[o + i + half] = x2 * cos + x1 * sin;
                    }
                }
            }
        });
    }
}
