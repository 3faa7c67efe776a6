package dev.jllm.eval.bench;

import dev.jllm.core.JllmException;

/**
 * The unbiased pass@k estimator of Chen et al. (2021, the HumanEval paper): with n samples of which c pass,
 * pass@k = 1 - C(n - c, k) / C(n, k), computed as the paper's code does, 1 - prod_{i = n-c+1..n} (1 - k / i),
 * which avoids huge binomials.
 */
public final class PassAtK {
    private PassAtK() {}

    public static double estimate(int n, int c, int k) {
        if (n <= 0 || c < 0 || c > n || k <= 0 || k > n) {
            throw new JllmException("pass@k needs 0 <= c <= n and 1 <= k <= n, got n=" + n + " c=" + c + " k=" + k);
        }
        if (n - c < k) return 1.0;
        double prod = 1.0;
        for (int i = n - c + 1; i <= n; i++) prod *= 1.0 - (double) k / i;
        return 1.0 - prod;
    }

    /** The mean of the per-problem estimates; {@code samples[i]} and {@code correct[i]} describe problem i. */
    public static double mean(int[] samples, int[] correct, int k) {
        if (samples.length != correct.length) throw new JllmException("pass@k: samples and correct counts differ in length");
        if (samples.length == 0) throw new JllmException("pass@k: no problem given");
        double sum = 0;
        for (int i = 0; i < samples.length; i++) sum += estimate(samples[i], correct[i], k);
        return sum / samples.length;
    }
}
