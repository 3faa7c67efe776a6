package dev.jllm.eval.rouge;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The expected numbers were produced by rouge_score's {@code _bootstrap_resample} logic run with numpy 2.4.6 after
 * {@code np.random.seed(...)} on the same matrices, so equality here is bit-for-bit equality with rouge_score.
 */
class BootstrapAggregatorTest {

    private static BootstrapAggregator withExamples(double confidence, int samples) {
        BootstrapAggregator agg = new BootstrapAggregator(confidence, samples);
        for (int i = 0; i < 13; i++) {
            java.util.LinkedHashMap<String, RougeScore> ex = new java.util.LinkedHashMap<>();
            if (i < 7) ex.put("rouge1", new RougeScore(i / 7.0, (i * i % 5) / 5.0, ((i * 3) % 11) / 11.0));
            ex.put("rougeL", new RougeScore((i % 3) / 3.0, i / 13.0, 1.0 / (i + 1)));
            agg.addScores(ex);
        }
        return agg;
    }

    private static void assertBounds(BootstrapAggregator.AggregateScore s, double... expected) {
        RougeScore[] bounds = {s.low(), s.mid(), s.high()};
        for (int j = 0; j < 3; j++) {
            assertEquals(expected[3 * j], bounds[j].precision(), 0, "precision bound " + j);
            assertEquals(expected[3 * j + 1], bounds[j].recall(), 0, "recall bound " + j);
            assertEquals(expected[3 * j + 2], bounds[j].fmeasure(), 0, "fmeasure bound " + j);
        }
    }

    @Test
    void matchesNumpySeededRun() {
        Map<String, BootstrapAggregator.AggregateScore> r = withExamples(0.95, 1000).aggregate(42);
        assertBounds(r.get("rouge1"), 0.22448979591836732, 0.08571428571428573, 0.1948051948051948,
                0.42857142857142855, 0.31428571428571433, 0.3896103896103896,
                0.6530612244897959, 0.5714285714285714, 0.5974025974025974);
        // The generator's stream continues into the second score type, as with numpy's global generator.
        assertBounds(r.get("rougeL"), 0.15384615384615383, 0.30769230769230776, 0.13380718640334027,
                0.3076923076923077, 0.4615384615384616, 0.23570628089858858,
                0.4358974358974359, 0.6094674556213019, 0.3993635531135531);
    }

    @Test
    void smallSampleOtherConfidence() {
        BootstrapAggregator agg = new BootstrapAggregator(0.9, 10);
        for (int i = 0; i < 7; i++) {
            agg.addScores(Map.of("rouge1", new RougeScore(i / 7.0, (i * i % 5) / 5.0, ((i * 3) % 11) / 11.0)));
        }
        assertBounds(agg.aggregate(7).get("rouge1"), 0.21632653061224488, 0.18428571428571427, 0.2584415584415584,
                0.4081632653061224, 0.27142857142857146, 0.3051948051948052,
                0.5418367346938775, 0.5128571428571427, 0.5805194805194803);
    }

    @Test
    void badArguments() {
        assertThrows(JllmException.class, () -> new BootstrapAggregator(1.5, 10));
        assertThrows(JllmException.class, () -> new BootstrapAggregator(0.95, 0));
        assertThrows(JllmException.class, () -> new BootstrapAggregator().aggregate(1));
        assertThrows(IllegalArgumentException.class, () -> new NumpyLegacyRandom(-1));
    }
}
