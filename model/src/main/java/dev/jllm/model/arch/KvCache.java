package dev.jllm.model.arch;

import dev.jllm.core.JllmException;

/**
 * Keys and values of every layer for one sequence, head-major {@code [kvHead][position][headDim]} (see
 * {@link Attention.Layout#headMajor}), grown by doubling up to a fixed limit so a short generation does not reserve
 * the model's whole context.
 *
 * <p>Head-major because attention reads one KV head's keys and values at a time: in the row-major
 * {@code [position][kvHeads*headDim]} layout that read took 256 bytes out of every 2 KiB (a 1B model's 8 heads of
 * 64). One-token attention over 16 such layers, the cache coming from memory, 2 threads
 * ({@code KernelReport attention}, median of 20): 6.7 ms against 7.0 row-major at 1024 positions, 2.3 against 2.5
 * at 320. (Before {@link Attention} read each key's values once for four heads, the gap was 12.7 against 16.2 ms.)
 */
public final class KvCache {
    private final int layers;
    private final int kvHeads;
    private final int headDim;
    private final int kvDim;
    private final int limit;
    private final float[][] keys;
    private final float[][] values;
    private int capacity;

    /**
     * @param initialCapacity positions reserved up front
     * @param limit           the most positions this cache may ever hold
     */
    public KvCache(int layers, int kvHeads, int headDim, int initialCapacity, int limit) {
        this.layers = layers;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.kvDim = Math.multiplyExact(kvHeads, headDim);
        this.limit = limit;
        this.capacity = Math.max(1, Math.min(initialCapacity, limit));
        this.keys = new float[layers][];
        this.values = new float[layers][];
        for (int l = 0; l < layers; l++) {
            keys[l] = new float[Math.multiplyExact(capacity, kvDim)];
            values[l] = new float[capacity * kvDim];
        }
    }

    public int limit() {
        return limit;
    }

    /** Makes room for positions {@code [0, end)}. */
    void ensure(int end) {
        if (end > limit) {
            throw new JllmException("sequence of " + end + " tokens exceeds the context limit of " + limit + " tokens");
        }
        if (end <= capacity) return;
        int next = (int) Math.min(limit, Math.max((long) end, 2L * capacity));
        for (int l = 0; l < layers; l++) {
            keys[l] = regrow(keys[l], next);
            values[l] = regrow(values[l], next);
        }
        capacity = next;
    }

    /** The same heads in a cache of {@code next} positions: each head's block moves to its new offset. */
    private float[] regrow(float[] old, int next) {
        float[] grown = new float[Math.multiplyExact(next, kvDim)];
        for (int h = 0; h < kvHeads; h++) {
            System.arraycopy(old, h * capacity * headDim, grown, h * next * headDim, capacity * headDim);
        }
        return grown;
    }

    /**
     * Stores {@code count} rows of k and v for {@code layer} at positions {@code start..}; k and v are row-major
     * {@code [count][kvHeads*headDim]}, as the projections produce them.
     */
    void put(int layer, int start, int count, float[] k, float[] v) {
        for (int t = 0; t < count; t++) {
            for (int h = 0; h < kvHeads; h++) {
                int dst = (h * capacity + start + t) * headDim;
                System.arraycopy(k, t * kvDim + h * headDim, keys[layer], dst, headDim);
                System.arraycopy(v, t * kvDim + h * headDim, values[layer], dst, headDim);
            }
        }
    }

    /** Where {@link #keys} and {@link #values} keep each position and head. */
    Attention.Layout layout() {
        return Attention.Layout.headMajor(capacity, headDim);
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }
}
