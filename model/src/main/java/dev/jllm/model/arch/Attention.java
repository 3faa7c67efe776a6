package dev.jllm.model.arch;

import dev.jllm.core.kernel.Parallel;

/**
 * Causal grouped-query attention over a KV cache, tiled with an online softmax (the flash-attention idea): each
 * query walks its visible keys in tiles of {@link #TILE}, keeping only a running max, a running denominator and
 * an accumulator, so no {@code T x T} score matrix is ever formed and memory stays O(T).
 *
 * <p>Query at absolute position {@code p} sees keys {@code max(0, p - window + 1) .. p} (the {@code window} most
 * recent positions including itself; window 0 = all). Query heads sharing a KV head are handled together so
 * every key and value row is read once per group.
 */
public final class Attention {
    static final int TILE = 64;

    private Attention() {}

    /**
     * @param q      queries, {@code [count][heads*headDim]}, for positions {@code start..start+count-1}
     * @param keys   {@code [position][kvHeads*headDim]}, holding at least positions {@code 0..start+count-1}
     * @param out    {@code [count][heads*headDim]}
     */
    public static void attend(float[] q, int count, int start, float[] keys, float[] values,
                              int heads, int kvHeads, int headDim, int window, float[] out) {
        int group = heads / kvHeads;
        float scale = (float) (1.0 / Math.sqrt(headDim));
        int tasks = count * kvHeads;
        // Enough work per task (keys seen x group x headDim) to be worth a hand-off to another thread.
        long work = (long) tasks * Math.min(start + count, window > 0 ? window : Integer.MAX_VALUE) * group * headDim;
        int grain = work < 32_768 ? tasks : 1;
        Parallel.forRange(tasks, grain, (worker, from, to) -> {
            float[] scores = new float[group * TILE];
            float[] max = new float[group];
            float[] denom = new float[group];
            for (int task = from; task < to; task++) {
                int t = task / kvHeads;
                int kvh = task % kvHeads;
                attendOne(q, t, start + t, keys, values, heads, kvHeads, headDim, window, scale, group, kvh,
                        scores, max, denom, out);
            }
        });
    }

    private static void attendOne(float[] q, int t, int pos, float[] keys, float[] values, int heads, int kvHeads,
                                  int headDim, int window, float scale, int group, int kvh,
                                  float[] scores, float[] max, float[] denom, float[] out) {
        int qDim = heads * headDim;
        int kvDim = kvHeads * headDim;
        int firstHead = kvh * group;
        int qBase = t * qDim + firstHead * headDim;   // the group's heads are contiguous in q and out
        java.util.Arrays.fill(out, qBase, qBase + group * headDim, 0f);
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(denom, 0f);
        int lo = window > 0 ? Math.max(0, pos - window + 1) : 0;
        for (int tileStart = lo; tileStart <= pos; tileStart += TILE) {
            int n = Math.min(TILE, pos + 1 - tileStart);
            for (int g = 0; g < group; g++) {
                int qOff = qBase + g * headDim;
                float tileMax = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    float s = VectorOps.dot(q, qOff, keys, (tileStart + j) * kvDim + kvh * headDim, headDim) * scale;
                    scores[g * TILE + j] = s;
                    if (s > tileMax) tileMax = s;
                }
                float newMax = Math.max(max[g], tileMax);
                float correction = (float) Math.exp(max[g] - newMax);   // exp(-inf) = 0 on the first tile
                max[g] = newMax;
                float sum = VectorOps.expShiftedInPlace(scores, g * TILE, n, newMax);
                denom[g] = denom[g] * correction + sum;
                if (correction != 1f) VectorOps.scale(out, qOff, headDim, correction);
            }
            for (int j = 0; j < n; j++) {
                int vOff = (tileStart + j) * kvDim + kvh * headDim;
                for (int g = 0; g < group; g++) {
                    VectorOps.axpy(scores[g * TILE + j], values, vOff, out, qBase + g * headDim, headDim);
                }
            }
        }
        for (int g = 0; g < group; g++) VectorOps.scale(out, qBase + g * headDim, headDim, 1f / denom[g]);
    }
}
