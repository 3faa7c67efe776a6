package dev.jllm.eval.rouge;

/**
 * The random stream of numpy's legacy global generator ({@code np.random.seed(s)}, then {@code np.random.choice}):
 * MT19937 seeded with {@code init_genrand}, and bounded integers drawn by masked rejection from 32-bit outputs, as
 * numpy's {@code RandomState.randint} does for ranges below 2^32. rouge_score's BootstrapAggregator draws from that
 * global generator, so the same seed gives the same confidence intervals here.
 */
final class NumpyLegacyRandom {
    private static final int N = 624;
    private static final int M = 397;
    private final int[] mt = new int[N];
    private int index;

    NumpyLegacyRandom(long seed) {
        if (seed < 0 || seed > 0xFFFFFFFFL) throw new IllegalArgumentException("seed must be between 0 and 2**32 - 1");
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    /** MT19937's genrand_int32, as an unsigned value in a long. */
    long nextUint32() {
        if (index >= N) twist();
        int y = mt[index++];
        y ^= (y >>> 11);
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= (y >>> 18);
        return y & 0xFFFFFFFFL;
    }

    private void twist() {
        for (int i = 0; i < N; i++) {
            int y = (mt[i] & 0x80000000) | (mt[(i + 1) % N] & 0x7fffffff);
            int next = mt[(i + M) % N] ^ (y >>> 1);
            if ((y & 1) != 0) next ^= 0x9908b0df;
            mt[i] = next;
        }
        index = 0;
    }

    /** {@code randint(0, bound)} for 1 <= bound <= 2^32: masked rejection sampling, numpy's legacy method. */
    long nextBounded(long bound) {
        long rng = bound - 1;
        if (rng == 0) return 0;
        if (rng == 0xFFFFFFFFL) return nextUint32();
        long mask = rng;
        mask |= mask >>> 1;
        mask |= mask >>> 2;
        mask |= mask >>> 4;
        mask |= mask >>> 8;
        mask |= mask >>> 16;
        long v;
        do {
            v = nextUint32() & mask;
        } while (v > rng);
        return v;
    }
}
