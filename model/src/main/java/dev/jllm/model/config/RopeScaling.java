package dev.jllm.model.config;

/**
 * How rotary frequencies are modified for long contexts, as {@code rope_scaling} / {@code rope_parameters} of
 * config.json (transformers {@code modeling_rope_utils.py}) or GGUF's {@code rope_freqs.weight} describe it.
 */
public sealed interface RopeScaling {

    /** Plain {@code 1 / theta^(2i/d)}. */
    record None() implements RopeScaling {}

    /** Every frequency divided by {@code factor} (the same as dividing positions by it). */
    record Linear(double factor) implements RopeScaling {}

    /**
     * Dynamic NTK: once the sequence outgrows {@code max_position_embeddings}, theta is raised to
     * {@code theta * (factor*len/max - (factor-1))^(d/(d-2))}.
     */
    record Dynamic(double factor) implements RopeScaling {}

    /** Llama 3.1: low frequencies divided by factor, high ones kept, the band between smoothly interpolated. */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositionEmbeddings)
            implements RopeScaling {}

    /**
     * llama.cpp's per-frequency divisors ({@code rope_freqs.weight} in GGUF): frequency i is
     * {@code theta^(-2i/d) / divisors[i]}.
     */
    record Divisors(float[] divisors) implements RopeScaling {}
}
