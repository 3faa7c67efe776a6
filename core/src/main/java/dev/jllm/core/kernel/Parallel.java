package dev.jllm.core.kernel;

import dev.jllm.core.JllmException;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool of worker threads for the kernels. Every call hands each worker one contiguous slice of the
 * work and the caller runs slice 0 itself, so a call costs one wake-up per worker and no queue. Workers spin
 * briefly before parking because decode issues hundreds of sub-millisecond calls per token.
 *
 * <p>The thread count comes from {@code -Djllm.threads=N} (default: available processors) or {@link #setThreads}.
 * A call made while the pool is busy (nested, or from a second thread) runs serially in the caller instead of
 * waiting, which keeps nested parallel code deadlock-free.
 */
public final class Parallel {
    /** Body of a parallel call: handles {@code [start, end)} as slice {@code worker} of {@code workers}. */
    @FunctionalInterface
    public interface RangeBody {
        void run(int worker, int start, int end);
    }

    private static final int SPIN_ITERATIONS = 1 << 14;

    private static volatile Pool pool;

    private Parallel() {}

    public static int threads() {
        return pool().size;
    }

    /**
     * Whether a parallel call is running now, so that one made now would run inline on its caller (a kernel called
     * inside another's parallel body can then skip preparing for a team it will not get).
     */
    public static boolean busy() {
        Pool p = pool;
        return p != null && p.busy.get();
    }

    /** Replaces the pool with one of {@code n} threads (n >= 1). */
    public static synchronized void setThreads(int n) {
        if (n < 1) throw new JllmException("thread count must be >= 1, got " + n);
        Pool old = pool;
        if (old != null && old.size == n) return;
        pool = new Pool(n);
        if (old != null) old.shutdown();
    }

    private static Pool pool() {
        Pool p = pool;
        if (p != null) return p;
        synchronized (Parallel.class) {
            if (pool == null) pool = new Pool(defaultThreads());
            return pool;
        }
    }

    static int defaultThreads() {
        String prop = System.getProperty("jllm.threads");
        if (prop != null && !prop.isBlank()) {
            try {
                int n = Integer.parseInt(prop.trim());
                if (n >= 1) return n;
            } catch (NumberFormatException ignored) {
                // fall through to the default below
            }
            throw new JllmException("-Djllm.threads must be a positive integer, got '" + prop + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Splits {@code [0, n)} into one contiguous slice per thread, each slice boundary a multiple of {@code grain}
     * (the last slice takes the rest), and runs them in parallel. Small jobs (fewer than 2 grains) run inline.
     */
    public static void forRange(int n, int grain, RangeBody body) {
        if (n <= 0) return;
        Pool p = pool();
        int units = (n + grain - 1) / grain;
        int workers = Math.min(p.size, units);
        if (workers <= 1) {
            body.run(0, 0, n);
            return;
        }
        p.run(n, grain, workers, body);
    }

    /** Splits {@code [0, n)} like {@link #forRange} using at most {@code maxWorkers} threads. */
    public static void forRange(int n, int grain, int maxWorkers, RangeBody body) {
        if (n <= 0) return;
        Pool p = pool();
        int units = (n + grain - 1) / grain;
        int workers = Math.min(Math.min(p.size, maxWorkers), units);
        if (workers <= 1) {
            body.run(0, 0, n);
            return;
        }
        p.run(n, grain, workers, body);
    }

    /**
     * Splits {@code [0, n)} into chunks of {@code chunk} (the last takes the rest) that the threads take one at a time
     * as they finish the previous one, instead of one fixed slice each: on a machine shared with other processes a
     * thread that loses its core for a time slice then does fewer chunks rather than holding up the whole call.
     * Decode's matvecs use it; a chunk should be long enough (tens of microseconds) that taking it costs nothing.
     */
    public static void forChunks(int n, int chunk, RangeBody body) {
        if (n <= 0) return;
        if (chunk < 1) throw new JllmException("chunk must be >= 1, got " + chunk);
        Pool p = pool();
        int chunks = (n + chunk - 1) / chunk;
        int workers = Math.min(p.size, chunks);
        if (workers <= 1) {
            body.run(0, 0, n);
            return;
        }
        p.run(n, chunk, workers, body, true);
    }

    /** Body of a team call: one of {@code workers} threads that run together (and may wait for each other). */
    @FunctionalInterface
    public interface TeamBody {
        void run(int worker, int workers);
    }

    /**
     * Runs {@code body} on a team of at most {@code maxWorkers} threads, each told the team's real size, so a body
     * may synchronize its team (a barrier must know how many will arrive). A call made while the pool is busy runs
     * as a team of one on the caller.
     */
    public static void team(int maxWorkers, TeamBody body) {
        Pool p = pool();
        int workers = Math.min(p.size, maxWorkers);
        if (workers <= 1) {
            body.run(0, 1);
            return;
        }
        p.run(workers, 1, workers, (w, start, end) -> {
            if (end - start == workers) body.run(0, 1); // the pool was busy: the caller runs the whole range alone
            else body.run(w, workers);
        });
    }

    /** One parallel call, published to the workers through a single volatile write. */
    private static final class Job {
        final RangeBody body;
        final int n, grain, workers;
        final AtomicInteger pending;
        /** Non-null for {@link #forChunks}: the next chunk to hand out. */
        final AtomicInteger nextChunk;
        volatile Throwable failure;

        Job(RangeBody body, int n, int grain, int workers, boolean dynamic) {
            this.body = body;
            this.n = n;
            this.grain = grain;
            this.workers = workers;
            this.pending = new AtomicInteger(workers - 1);
            this.nextChunk = dynamic ? new AtomicInteger() : null;
        }

        void runSlice(int worker) {
            if (nextChunk != null) {
                for (int c; (long) (c = nextChunk.getAndIncrement()) * grain < n; ) {
                    int start = c * grain;
                    body.run(worker, start, Math.min(n, start + grain));
                }
                return;
            }
            int units = (n + grain - 1) / grain;
            int startUnit = (int) ((long) units * worker / workers);
            int endUnit = (int) ((long) units * (worker + 1) / workers);
            int start = startUnit * grain;
            int end = Math.min(n, endUnit * grain);
            if (start < end) body.run(worker, start, end);
        }
    }

    private static final class Pool {
        final int size;
        final Thread[] threads;
        /** Not a reentrant lock: a nested call from the thread running a job must run inline, not post a new job. */
        final AtomicBoolean busy = new AtomicBoolean();
        volatile Job current;
        volatile boolean stopped;

        Pool(int size) {
            this.size = size;
            threads = new Thread[size - 1];
            for (int i = 0; i < threads.length; i++) {
                int index = i + 1;
                Thread t = new Thread(() -> workerLoop(index), "jllm-kernel-" + index);
                t.setDaemon(true);
                threads[i] = t;
                t.start();
            }
        }

        void shutdown() {
            stopped = true;
            for (Thread t : threads) LockSupport.unpark(t);
        }

        void run(int n, int grain, int workers, RangeBody body) {
            run(n, grain, workers, body, false);
        }

        void run(int n, int grain, int workers, RangeBody body, boolean dynamic) {
            if (!busy.compareAndSet(false, true)) {
                body.run(0, 0, n);
                return;
            }
            try {
                Job job = new Job(body, n, grain, workers, dynamic);
                current = job;
                for (int i = 0; i < workers - 1; i++) LockSupport.unpark(threads[i]);
                Throwable mine = null;
                try {
                    job.runSlice(0);
                } catch (Throwable t) {
                    mine = t;
                }
                int spins = 0;
                while (job.pending.get() != 0) {
                    if (++spins < SPIN_ITERATIONS) Thread.onSpinWait();
                    else Thread.yield();
                }
                Throwable t = mine != null ? mine : job.failure;
                if (t != null) {
                    if (t instanceof RuntimeException re) throw re;
                    if (t instanceof Error e) throw e;
                    throw new RuntimeException(t);
                }
            } finally {
                busy.set(false);
            }
        }

        void workerLoop(int index) {
            Job last = null;
            while (!stopped) {
                Job job = current;
                if (job == last) {
                    int spins = 0;
                    while ((job = current) == last && !stopped) {
                        if (++spins < SPIN_ITERATIONS) Thread.onSpinWait();
                        else LockSupport.park(this);
                    }
                    if (stopped) return;
                }
                last = job;
                if (index < job.workers) {
                    try {
                        job.runSlice(index);
                    } catch (Throwable t) {
                        job.failure = t;
                    }
                    job.pending.decrementAndGet();
                }
            }
        }
    }
}
