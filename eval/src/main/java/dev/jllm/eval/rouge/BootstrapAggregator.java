package dev.jllm.eval.rouge;

import dev.jllm.core.JllmException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Confidence intervals of mean ROUGE scores by bootstrap resampling, as rouge_score's {@code BootstrapAggregator}:
 * {@code nSamples} resamples (with replacement, same size) of the per-example scores, the mean of each, and the
 * percentiles (1 - confidence) / 2, 50 and 1 - (1 - confidence) / 2 of those means (numpy's linear percentile).
 *
 * <p>Seeded and reproducible: the resampling draws exactly what rouge_score draws after {@code np.random.seed(seed)}
 * (numpy's legacy MT19937 global generator), score types in the order they were first added, so a Python run
 * seeded the same way gives the same intervals.
 */
public final class BootstrapAggregator {
    /** rouge_score's defaults. */
    public static final double DEFAULT_CONFIDENCE = 0.95;
    public static final int DEFAULT_SAMPLES = 1000;

    private final double confidenceInterval;
    private final int nSamples;
    private final Map<String, List<RougeScore>> scores = new LinkedHashMap<>();

    public BootstrapAggregator() {
        this(DEFAULT_CONFIDENCE, DEFAULT_SAMPLES);
    }

    public BootstrapAggregator(double confidenceInterval, int nSamples) {
        if (!(confidenceInterval >= 0 && confidenceInterval <= 1)) {
            throw new JllmException("confidence_interval must be in range [0, 1], got " + confidenceInterval);
        }
        if (nSamples <= 0) throw new JllmException("n_samples must be positive, got " + nSamples);
        this.confidenceInterval = confidenceInterval;
        this.nSamples = nSamples;
    }

    /** Low, mid and high bounds of each measure. */
    public record AggregateScore(RougeScore low, RougeScore mid, RougeScore high) {}

    /** Adds one example's scores (one entry per rouge type). */
    public void addScores(Map<String, RougeScore> example) {
        example.forEach((type, s) -> scores.computeIfAbsent(type, t -> new ArrayList<>()).add(s));
    }

    public Map<String, AggregateScore> aggregate(long seed) {
        if (scores.isEmpty()) throw new JllmException("bootstrap aggregation needs at least one scored example");
        NumpyLegacyRandom random = new NumpyLegacyRandom(seed);
        Map<String, AggregateScore> result = new LinkedHashMap<>();
        for (Map.Entry<String, List<RougeScore>> e : scores.entrySet()) {
            List<RougeScore> list = e.getValue();
            int n = list.size();
            double[][] matrix = new double[n][];
            for (int i = 0; i < n; i++) {
                RougeScore s = list.get(i);
                matrix[i] = new double[] {s.precision(), s.recall(), s.fmeasure()};
            }
            double[][] means = new double[3][nSamples];
            for (int b = 0; b < nSamples; b++) {
                double[] sum = new double[3];
                for (int i = 0; i < n; i++) {
                    double[] row = matrix[(int) random.nextBounded(n)];
                    for (int k = 0; k < 3; k++) sum[k] += row[k];
                }
                for (int k = 0; k < 3; k++) means[k][b] = sum[k] / n;
            }
            double delta = (1 - confidenceInterval) / 2;
            double[] q = {100 * delta, 100 * 0.5, 100 * (1 - delta)};
            double[][] bounds = new double[3][3]; // [bound][measure]
            for (int k = 0; k < 3; k++) {
                double[] sorted = means[k].clone();
                Arrays.sort(sorted);
                for (int j = 0; j < 3; j++) bounds[j][k] = percentileLinear(sorted, q[j]);
            }
            result.put(e.getKey(), new AggregateScore(
                    new RougeScore(bounds[0][0], bounds[0][1], bounds[0][2]),
                    new RougeScore(bounds[1][0], bounds[1][1], bounds[1][2]),
                    new RougeScore(bounds[2][0], bounds[2][1], bounds[2][2])));
        }
        return result;
    }

    /** numpy's {@code percentile(..., method="linear")} on sorted data, with numpy's order of float operations. */
    static double percentileLinear(double[] sorted, double percent) {
        int n = sorted.length;
        double quantile = percent / 100;
        double virtual = (n - 1) * quantile;
        if (virtual >= n - 1) return sorted[n - 1];
        if (virtual < 0) return sorted[0];
        double previous = Math.floor(virtual);
        double gamma = virtual - previous;
        double a = sorted[(int) previous];
        double b = sorted[(int) previous + 1];
        double diff = b - a;
        return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
    }
}
