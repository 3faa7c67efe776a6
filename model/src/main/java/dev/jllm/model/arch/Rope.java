package dev.jllm.model.arch;

import dev.jllm.core.kernel.Simd;
import dev.jllm.model.config.RopeScaling;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Rotary position embeddings in Hugging Face's rotate-half layout: dimension i of a head is rotated together with
 * dimension {@code i + d/2} by angle {@code position * invFreq[i]}. (GGUF checkpoints of the Llama family store
 * q/k rows for the adjacent-pair layout; the loader permutes their rows, so one layout serves both.)
 */
public final class Rope {
    private final int headDim;
    private final double theta;
    private final RopeScaling scaling;
    private final int maxPositionEmbeddings;
    private final float[] baseInvFreq;

    public Rope(int headDim, double theta, RopeScaling scaling, int maxPositionEmbeddings) {
        this.headDim = headDim;
        this.theta = theta;
        this.scaling = scaling;
        this.maxPositionEmbeddings = maxPositionEmbeddings;
        this.baseInvFreq = compute(theta);
    }

    public int headDim() {
        return headDim;
    }

    /**
     * The inverse frequencies ({@code head_dim/2} values, float32 as transformers keeps them) in force for a
     * forward call whose sequence reaches {@code seqLen} tokens (only dynamic NTK scaling depends on it).
     */
    public float[] inverseFrequencies(int seqLen) {
        if (scaling instanceof RopeScaling.Dynamic(double factor) && seqLen > maxPositionEmbeddings) {
            // transformers' _compute_dynamic_ntk_parameters: theta grows with the sequence; during one generation
            // the sequence only grows, so this equals its cached-and-grown frequencies.
            double base = theta * Math.pow(factor * seqLen / maxPositionEmbeddings - (factor - 1), headDim / (headDim - 2.0));
            return compute(base);
        }
        return baseInvFreq.clone();
    }

    private float[] compute(double base) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / (float) headDim;
            inv[i] = (float) (1.0 / Math.pow(base, exponent));
        }
        switch (scaling) {
            case RopeScaling.None n -> { }
            case RopeScaling.Dynamic d -> { }
            case RopeScaling.Linear(double factor) -> {
                for (int i = 0; i < half; i++) inv[i] = (float) (inv[i] / factor);
            }
            case RopeScaling.Divisors(float[] divisors) -> {
                for (int i = 0; i < half; i++) inv[i] = (float) (inv[i] / (double) divisors[i]);
            }
            case RopeScaling.Llama3 l -> {
                double lowWavelen = l.originalMaxPositionEmbeddings() / l.lowFreqFactor();
                double highWavelen = l.originalMaxPositionEmbeddings() / l.highFreqFactor();
                for (int i = 0; i < half; i++) {
                    double f = inv[i];
                    double wavelen = 2 * Math.PI / f;
                    double scaled;
                    if (wavelen > lowWavelen) {
                        scaled = f / l.factor();
                    } else if (wavelen < highWavelen) {
                        scaled = f;
                    } else {
                        double s = (l.originalMaxPositionEmbeddings() / wavelen - l.lowFreqFactor())
                                / (l.highFreqFactor() - l.lowFreqFactor());
                        scaled = (1 - s) * f / l.factor() + s * f;
                    }
                    inv[i] = (float) scaled;
                }
            }
        }
        return inv;
    }

    /** cos and sin of {@code position * invFreq[i]} for {@code count} positions from {@code start}: [count, d/2] each. */
    public Table table(int start, int count) {
        return Table.of(inverseFrequencies(start + count), start, count);
    }

    /**
     * Per-position rotation factors, {@code [positions][half]} from position {@code start}. Inference and training
     * both rotate with it.
     */
    public record Table(int start, float[] cos, float[] sin, int half) {
        private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        /**
         * The angle is formed as transformers forms it in float32 (and llama2.c): a float32 position times a float32
         * inverse frequency, rounded to float32 (at position 255 that rounding alone moves cos by ~1e-5); its cosine
         * and sine are then rounded once.
         */
        public static Table of(float[] invFreq, int start, int count) {
            int half = invFreq.length;
            float[] cos = new float[count * half];
            float[] sin = new float[count * half];
            for (int t = 0; t < count; t++) {
                float pos = start + t;
                for (int i = 0; i < half; i++) {
                    float angle = pos * invFreq[i];
                    cos[t * half + i] = (float) Math.cos(angle);
                    sin[t * half + i] = (float) Math.sin(angle);
                }
            }
            return new Table(start, cos, sin, half);
        }

        /** Positions {@code [start, end())} are in the table. */
        public int end() {
            return start + cos.length / half;
        }

        /**
         * Rotates {@code heads} consecutive heads of row {@code t} (table row, position {@code start + t}) in
         * {@code x} (row length {@code heads*2*half}, starting at {@code offset}) in place:
         * {@code x*cos + rotate_half(x)*sin}.
         */
        public void rotate(float[] x, int offset, int heads, int t) {
            rotate(x, offset, heads, t, false);
        }

        /**
         * {@link #rotate(float[], int, int, int)}; {@code inverse} rotates by the opposite angle (the rotation is
         * orthogonal, so that is its backward pass). The vector loop does the scalar loop's float operations lane by
         * lane, so the result does not depend on the head size.
         */
        public void rotate(float[] x, int offset, int heads, int t, boolean inverse) {
            int d = 2 * half;
            int c = t * half;
            float sign = inverse ? -1 : 1;
            boolean vector = Simd.enabled();
            for (int h = 0; h < heads; h++) {
                int base = offset + h * d;
                int i = 0;
                if (vector) {
                    for (; i + F.length() <= half; i += F.length()) {
                        FloatVector co = FloatVector.fromArray(F, cos, c + i);
                        FloatVector si = FloatVector.fromArray(F, sin, c + i).mul(sign);
                        FloatVector x0 = FloatVector.fromArray(F, x, base + i), x1 = FloatVector.fromArray(F, x, base + half + i);
                        x0.mul(co).sub(x1.mul(si)).intoArray(x, base + i);
                        x1.mul(co).add(x0.mul(si)).intoArray(x, base + half + i);
                    }
                }
                for (; i < half; i++) {
                    float x0 = x[base + i];
                    float x1 = x[base + half + i];
                    float co = cos[c + i];
                    float si = sign * sin[c + i];
                    x[base + i] = x0 * co - x1 * si;
                    x[base + half + i] = x1 * co + x0 * si;
                }
            }
        }
    }
}
