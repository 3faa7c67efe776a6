package dev.jllm.model.arch;

import dev.jllm.core.JllmException;

import java.util.Arrays;

/**
 * Keys and values of every layer for one sequence, row-major {@code [position][kvHeads*headDim]}, grown by
 * doubling up to a fixed limit so a short generation does not reserve the model's whole context.
 */
public final class KvCache {
    private final int layers;
    private final int kvDim;
    private final int limit;
    private final float[][] keys;
    private final float[][] values;
    private int capacity;

    /**
     * @param initialCapacity positions reserved up front
     * @param limit           the most positions this cache may ever hold
     */
    public KvCache(int layers, int kvDim, int initialCapacity, int limit) {
        this.layers = layers;
        this.kvDim = kvDim;
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
            keys[l] = Arrays.copyOf(keys[l], Math.multiplyExact(next, kvDim));
            values[l] = Arrays.copyOf(values[l], next * kvDim);
        }
        capacity = next;
    }

    /** Stores {@code count} rows of k and v for {@code layer} at positions {@code start..}. */
    void put(int layer, int start, int count, float[] k, float[] v) {
        System.arraycopy(k, 0, keys[layer], start * kvDim, count * kvDim);
        System.arraycopy(v, 0, values[layer], start * kvDim, count * kvDim);
    }

    float[] keys(int layer) {
        return keys[layer];
    }

    float[] values(int layer) {
        return values[layer];
    }
}
