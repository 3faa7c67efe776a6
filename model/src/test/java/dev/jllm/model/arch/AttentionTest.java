package dev.jllm.model.arch;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Tiled online-softmax attention against the textbook formula (full score row, softmax, weighted sum). */
class AttentionTest {

    /** softmax(q k^T / sqrt(d) + causal/window mask) v, one query row at a time, in double. */
    static float[] naive(float[] q, int count, int start, float[] keys, float[] values, int heads, int kvHeads, int hd, int window) {
        float[] out = new float[count * heads * hd];
        int group = heads / kvHeads;
        int kvDim = kvHeads * hd;
        for (int t = 0; t < count; t++) {
            int pos = start + t;
            for (int h = 0; h < heads; h++) {
                int kvh = h / group;
                double[] scores = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j <= pos; j++) {
                    boolean visible = window <= 0 || j > pos - window;
                    if (!visible) {
                        scores[j] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += (double) q[(t * heads + h) * hd + d] * keys[j * kvDim + kvh * hd + d];
                    scores[j] = s / Math.sqrt(hd);
                    max = Math.max(max, scores[j]);
                }
                double sum = 0;
                for (int j = 0; j <= pos; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    sum += scores[j];
                }
                for (int d = 0; d < hd; d++) {
                    double acc = 0;
                    for (int j = 0; j <= pos; j++) acc += scores[j] * values[j * kvDim + kvh * hd + d];
                    out[(t * heads + h) * hd + d] = (float) (acc / sum);
                }
            }
        }
        return out;
    }

    private static float[] random(SplittableRandom r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return a;
    }

    private static void check(int length, int window, int heads, int kvHeads, int hd, int queries) {
        SplittableRandom r = new SplittableRandom(length * 31L + window);
        int start = length - queries;
        float[] keys = random(r, length * kvHeads * hd, 2.0);
        float[] values = random(r, length * kvHeads * hd, 1.0);
        float[] q = random(r, queries * heads * hd, 2.0);
        float[] out = new float[queries * heads * hd];
        Attention.attend(q, queries, start, keys, values, heads, kvHeads, hd, window, out);
        float[] expected = naive(q, queries, start, keys, values, heads, kvHeads, hd, window);
        for (int i = 0; i < out.length; i++) {
            assertEquals(expected[i], out[i], 1e-5, "length " + length + " window " + window + " index " + i);
        }
        // the same keys and values head-major, with room to spare after each head: the same sums in the same order,
        // up to the last bit that reduceLanes may flip between a cold and a warm JIT tier
        int capacity = length + 3;
        float[] headKeys = headMajor(keys, length, capacity, kvHeads, hd);
        float[] headValues = headMajor(values, length, capacity, kvHeads, hd);
        float[] headOut = new float[out.length];
        Attention.attend(q, queries, start, headKeys, headValues, Attention.Layout.headMajor(capacity, hd), heads, kvHeads, hd,
                window, headOut);
        assertArrayEquals(out, headOut, 1e-6f, "head-major layout, length " + length + " window " + window);
    }

    /** Row-major {@code [length][kvHeads*hd]} rearranged to {@code [kvHeads][capacity][hd]} (padding left as NaN). */
    static float[] headMajor(float[] rows, int length, int capacity, int kvHeads, int hd) {
        float[] out = new float[kvHeads * capacity * hd];
        java.util.Arrays.fill(out, Float.NaN);
        for (int p = 0; p < length; p++) {
            for (int h = 0; h < kvHeads; h++) System.arraycopy(rows, (p * kvHeads + h) * hd, out, (h * capacity + p) * hd, hd);
        }
        return out;
    }

    @Test
    void kvCacheKeepsEveryRowAcrossGrowth() {
        // positions appended one to five at a time from a capacity of 1, so the cache regrows several times
        int kvHeads = 2, hd = 16, heads = 4, length = 70;
        SplittableRandom r = new SplittableRandom(5);
        float[] keys = random(r, length * kvHeads * hd, 2.0);
        float[] values = random(r, length * kvHeads * hd, 1.0);
        KvCache cache = new KvCache(1, kvHeads, hd, 1, 1000);
        for (int p = 0, n = 1; p < length; p += n, n = n % 5 + 1) {
            int count = Math.min(n, length - p);
            cache.ensure(p + count);
            cache.put(0, p, count, java.util.Arrays.copyOfRange(keys, p * kvHeads * hd, (p + count) * kvHeads * hd),
                    java.util.Arrays.copyOfRange(values, p * kvHeads * hd, (p + count) * kvHeads * hd));
        }
        float[] q = random(r, heads * hd, 2.0);
        float[] expected = new float[heads * hd];
        float[] out = new float[heads * hd];
        Attention.attend(q, 1, length - 1, keys, values, heads, kvHeads, hd, 0, expected);
        Attention.attend(q, 1, length - 1, cache.keys(0), cache.values(0), cache.layout(), heads, kvHeads, hd, 0, out);
        assertArrayEquals(expected, out, 1e-6f);
    }

    @Test
    void prefillEqualsNaiveForManyLengths() {
        for (int length : new int[] {1, 2, 3, 7, 63, 64, 65, 100, 257}) {
            check(length, 0, 4, 2, 16, length);
            check(length, 8, 4, 2, 16, length);
            check(length, 1, 4, 4, 8, length);
        }
    }

    @Test
    void longSequencesUpTo4096() {
        // every query of a 1024 prompt; the last 16 queries of a 4096-token sequence (keys cover all 4096)
        check(1024, 100, 2, 1, 64, 1024);
        check(4096, 0, 1, 1, 16, 4096);
        check(4096, 512, 1, 1, 16, 4096);
        check(4096, 0, 4, 2, 32, 16);
        check(4096, 4000, 4, 2, 32, 16);
        check(4096, 129, 4, 1, 32, 16);
    }

    @Test
    void scalarFallbackEqualsNaive() {
        dev.jllm.core.kernel.Simd.setEnabled(false);
        try {
            for (int length : new int[] {1, 17, 130}) {
                check(length, 0, 4, 2, 16, length);
                check(length, 9, 4, 1, 24, length);
            }
        } finally {
            dev.jllm.core.kernel.Simd.setEnabled(true);
        }
    }

    @Test
    void decodeStepEqualsNaive() {
        for (int length : new int[] {1, 5, 64, 65, 500}) {
            check(length, 0, 8, 2, 16, 1);
            check(length, 16, 8, 2, 16, 1);
        }
    }

    @Test
    void windowSeesExactlyTheMostRecentKeysIncludingItself() {
        // one head, hd 2; keys all equal so scores are equal; values = position → output = mean of visible positions
        int length = 10;
        float[] keys = new float[length * 2];
        float[] values = new float[length * 2];
        for (int j = 0; j < length; j++) {
            keys[j * 2] = 1;
            values[j * 2] = j;
        }
        float[] q = {1, 0};
        float[] out = new float[2];
        Attention.attend(q, 1, length - 1, keys, values, 1, 1, 2, 3, out);
        assertEquals((7 + 8 + 9) / 3.0, out[0], 1e-6, "window 3 at position 9 sees 7, 8, 9");
    }
}
