package dev.jllm.text.tokenizer;

import java.util.Arrays;

/**
 * BPE merge rules as an open-addressing hash map from a pair of token ids, packed in a long, to the merge's
 * priority (lower merges first) and the id of the merged token. Avoids boxing and string concatenation in the
 * inner loop of encoding.
 */
final class MergeTable {
    private static final long EMPTY = -1L;
    private long[] keys;
    private long[] values;
    private int mask;
    private int size;

    MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private static int slot(long key, int mask) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** Adds a rule unless the pair already has one (the first, highest-priority rule wins, as in HF). */
    void putIfAbsent(int left, int right, int rank, int mergedId) {
        if ((size + 1) * 2 > keys.length) grow();
        long k = key(left, right);
        int i = slot(k, mask);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) return;
            i = (i + 1) & mask;
        }
        keys[i] = k;
        values[i] = ((long) rank << 32) | (mergedId & 0xFFFFFFFFL);
        size++;
    }

    /** (rank << 32 | mergedId) for the pair, or -1 when the pair never merges. */
    long get(int left, int right) {
        long k = key(left, right);
        int i = slot(k, mask);
        long[] ks = keys;
        while (true) {
            long cur = ks[i];
            if (cur == k) return values[i];
            if (cur == EMPTY) return -1L;
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldK = keys, oldV = values;
        keys = new long[oldK.length * 2];
        values = new long[oldK.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        for (int j = 0; j < oldK.length; j++) {
            if (oldK[j] == EMPTY) continue;
            int i = slot(oldK[j], mask);
            while (keys[i] != EMPTY) i = (i + 1) & mask;
            keys[i] = oldK[j];
            values[i] = oldV[j];
        }
    }

    /**
     * Applies the merges to a word: repeatedly merges the pair with the lowest rank, the leftmost one on ties
     * (the order of HF's priority queue and of SentencePiece's agenda). {@code ids} and {@code lens} (the
     * length each symbol covers) are rewritten in place; returns the new symbol count.
     */
    int apply(int[] ids, int[] lens, int n) {
        if (n < 2) return n;
        if (n > 64) return applyWithHeap(ids, lens, n);
        long[] best = new long[n];
        for (int i = 0; i + 1 < n; i++) best[i] = get(ids[i], ids[i + 1]);
        best[n - 1] = -1L;
        while (n > 1) {
            int pos = -1;
            long bestValue = Long.MAX_VALUE;
            for (int i = 0; i + 1 < n; i++) {
                long v = best[i];
                // strict < keeps the leftmost pair among equal ranks
                if (v >= 0 && (v >>> 32) < (bestValue >>> 32)) {
                    bestValue = v;
                    pos = i;
                }
            }
            if (pos < 0) break;
            ids[pos] = (int) bestValue;
            lens[pos] += lens[pos + 1];
            int tail = n - pos - 2;
            if (tail > 0) {
                System.arraycopy(ids, pos + 2, ids, pos + 1, tail);
                System.arraycopy(lens, pos + 2, lens, pos + 1, tail);
                System.arraycopy(best, pos + 2, best, pos + 1, tail);
            }
            n--;
            best[n - 1] = -1L;
            if (pos + 1 < n) best[pos] = get(ids[pos], ids[pos + 1]);
            else best[pos] = -1L;
            if (pos > 0) best[pos - 1] = get(ids[pos - 1], ids[pos]);
        }
        return n;
    }

    /** The same algorithm for long words (SentencePiece-style inputs are whole lines): a heap keyed by (rank, position). */
    private int applyWithHeap(int[] ids, int[] lens, int n) {
        int[] prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) {
            long v = get(ids[i], ids[i + 1]);
            if (v >= 0) heap.push(((v >>> 32) << 32) | i);
        }
        while (!heap.isEmpty()) {
            long top = heap.pop();
            int pos = (int) top;
            long rank = top >>> 32;
            if (lens[pos] == 0) continue;
            int right = next[pos];
            if (right < 0) continue;
            long v = get(ids[pos], ids[right]);
            if (v < 0 || (v >>> 32) != rank) continue;
            ids[pos] = (int) v;
            lens[pos] += lens[right];
            lens[right] = 0;
            int after = next[right];
            next[pos] = after;
            if (after >= 0) prev[after] = pos;
            int before = prev[pos];
            if (before >= 0) {
                long pv = get(ids[before], ids[pos]);
                if (pv >= 0) heap.push(((pv >>> 32) << 32) | before);
            }
            if (after >= 0) {
                long nv = get(ids[pos], ids[after]);
                if (nv >= 0) heap.push(((nv >>> 32) << 32) | pos);
            }
        }
        int m = 0;
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            ids[m] = ids[i];
            lens[m] = lens[i];
            m++;
        }
        return m;
    }

    /** A binary min-heap of longs. */
    static final class LongHeap {
        private long[] a;
        private int size;

        LongHeap(int capacity) {
            a = new long[Math.max(8, capacity)];
        }

        boolean isEmpty() {
            return size == 0;
        }

        void push(long v) {
            if (size == a.length) a = Arrays.copyOf(a, size * 2);
            int i = size++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long pop() {
            long top = a[0];
            long last = a[--size];
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int c = 2 * i + 1;
                if (c + 1 < size && a[c + 1] < a[c]) c++;
                if (a[c] >= last) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = last;
            return top;
        }
    }
}
