package dev.jllm.train.optim;

/** Updates parameters in place from their accumulated gradients, at a learning rate the scheduler chooses. */
public sealed interface Optimizer permits AdamW, AdamW8bit, Sgd, Adafactor {
    /** One update of every parameter with learning rate {@code lr}. */
    void step(double lr);

    /** Updates taken so far. */
    long steps();

    /** The optimizer's per-parameter state by name ({@code exp_avg/<param>}, ...), live arrays, for checkpoints. */
    java.util.Map<String, float[]> state();

    /** Puts back what {@link #state} returned and the update count; a missing or mis-sized tensor is an error. */
    void restore(java.util.Map<String, float[]> state, long steps);

    /** Copies a saved state tensor into a live one, checking it is there and the right size. */
    static void copyInto(java.util.Map<String, float[]> state, String key, float[] into) {
        float[] saved = state.get(key);
        if (saved == null) throw new dev.jllm.core.JllmException("optimizer state has no tensor '" + key + "'");
        if (saved.length != into.length) {
            throw new dev.jllm.core.JllmException("optimizer state '" + key + "' has " + saved.length + " values, the parameter " + into.length);
        }
        System.arraycopy(saved, 0, into, 0, into.length);
    }
}
