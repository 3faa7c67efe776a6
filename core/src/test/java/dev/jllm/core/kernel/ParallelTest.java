package dev.jllm.core.kernel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import java.util.concurrent.atomic.AtomicIntegerArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A lost wake-up or a nested-call deadlock shows up as a hang: the timeout turns it into a failure. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ParallelTest {
    @Test
    void everyIndexRunsExactlyOnce() {
        int before = Parallel.threads();
        try {
            for (int threads : new int[]{1, 2, 3}) {
                Parallel.setThreads(threads);
                for (int n : new int[]{1, 5, 64, 1000}) {
                    for (int grain : new int[]{1, 16}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        for (int rep = 0; rep < 50; rep++) {
                            Parallel.forRange(n, grain, (w, s, e) -> {
                                for (int i = s; i < e; i++) hits.incrementAndGet(i);
                            });
                        }
                        for (int i = 0; i < n; i++) assertEquals(50, hits.get(i), "index " + i);
                    }
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void nestedCallsRunInline() {
        for (int rep = 0; rep < 200; rep++) nestedOnce();
    }

    private static void nestedOnce() {
        AtomicIntegerArray hits = new AtomicIntegerArray(100);
        Parallel.forRange(10, 1, (w, s, e) -> {
            for (int i = s; i < e; i++) {
                int base = i * 10;
                Parallel.forRange(10, 1, (w2, s2, e2) -> {
                    for (int j = s2; j < e2; j++) hits.incrementAndGet(base + j);
                });
            }
        });
        for (int i = 0; i < 100; i++) assertEquals(1, hits.get(i));
    }

    @Test
    void workerFailurePropagates() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            assertThrows(IllegalStateException.class, () -> Parallel.forRange(100, 1, (w, s, e) -> {
                if (w == 1) throw new IllegalStateException("boom");
            }));
            // and the pool still works afterwards
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            Parallel.forRange(10, 1, (w, s, e) -> {
                for (int i = s; i < e; i++) hits.incrementAndGet(i);
            });
            for (int i = 0; i < 10; i++) assertEquals(1, hits.get(i));
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void chunksCoverEveryIndexOnceAndFailuresPropagate() {
        int before = Parallel.threads();
        try {
            for (int threads : new int[]{1, 2, 3}) {
                Parallel.setThreads(threads);
                for (int n : new int[]{1, 5, 64, 1000}) {
                    for (int chunk : new int[]{1, 7, 64, 5000}) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        for (int rep = 0; rep < 30; rep++) {
                            Parallel.forChunks(n, chunk, (w, s, e) -> {
                                assertEquals(0, s % Math.min(chunk, n), "chunks start on chunk boundaries");
                                for (int i = s; i < e; i++) hits.incrementAndGet(i);
                            });
                        }
                        for (int i = 0; i < n; i++) assertEquals(30, hits.get(i), "index " + i);
                    }
                }
                assertThrows(IllegalStateException.class, () -> Parallel.forChunks(100, 10, (w, s, e) -> {
                    if (s <= 50 && 50 < e) throw new IllegalStateException("boom");
                }));
            }
            assertThrows(dev.jllm.core.JllmException.class, () -> Parallel.forChunks(10, 0, (w, s, e) -> {}));
        } finally {
            Parallel.setThreads(before);
        }
    }

    @Test
    void teamMembersKnowTheRealTeamSizeAndANestedTeamIsOne() {
        int before = Parallel.threads();
        try {
            for (int threads : new int[]{1, 2, 3}) {
                Parallel.setThreads(threads);
                for (int max : new int[]{1, 2, 5}) {
                    int expected = Math.min(threads, max);
                    AtomicIntegerArray seen = new AtomicIntegerArray(expected);
                    Parallel.team(max, (w, size) -> {
                        assertEquals(expected, size);
                        seen.incrementAndGet(w);
                        Parallel.team(max, (w2, size2) -> assertEquals(1, size2)); // pool busy: runs alone, inline
                    });
                    for (int w = 0; w < expected; w++) assertEquals(1, seen.get(w), "worker " + w);
                }
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
