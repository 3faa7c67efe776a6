package dev.jllm.model.generate;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Each processor against distributions computed by hand. */
class LogitsProcessorTest {
    private static final float NEG = Float.NEGATIVE_INFINITY;

    private static float[] apply(LogitsProcessor p, float[] scores, int... context) {
        float[] s = scores.clone();
        p.apply(s, context, context.length);
        return s;
    }

    @Test
    void repetitionPenaltyDividesPositivesMultipliesNegativesOncePerDistinctId() {
        float[] out = apply(new LogitsProcessor.RepetitionPenalty(2f), new float[] {4f, -3f, 1f, 6f}, 0, 1, 0, 0);
        assertArrayEquals(new float[] {2f, -6f, 1f, 6f}, out);
    }

    @Test
    void temperatureScalesLogits() {
        assertArrayEquals(new float[] {2f, -1f, 0f}, apply(new LogitsProcessor.Temperature(0.5f), new float[] {1f, -0.5f, 0f}));
        assertThrows(JllmException.class, () -> new LogitsProcessor.Temperature(0f));
    }

    @Test
    void topKKeepsKLargestAndTies() {
        assertArrayEquals(new float[] {NEG, 3f, NEG, 5f}, apply(new LogitsProcessor.TopK(2), new float[] {1f, 3f, 2f, 5f}));
        // a tie with the k-th value survives
        assertArrayEquals(new float[] {3f, 3f, NEG, 5f}, apply(new LogitsProcessor.TopK(2), new float[] {3f, 3f, 2f, 5f}));
        // k larger than the vocabulary keeps everything
        assertArrayEquals(new float[] {1f, 2f}, apply(new LogitsProcessor.TopK(50), new float[] {1f, 2f}));
    }

    @Test
    void topPRemovesTheLeastLikelyTail() {
        // probabilities 0.1, 0.2, 0.3, 0.4 (logits = ln p)
        float[] logits = {(float) Math.log(0.1), (float) Math.log(0.2), (float) Math.log(0.3), (float) Math.log(0.4)};
        // p = 0.75: ascending cumsum 0.1, 0.3, 0.6, 1.0; removed where <= 0.25 → only the 0.1 token
        float[] out = apply(new LogitsProcessor.TopP(0.75f), logits);
        assertEquals(NEG, out[0]);
        assertEquals(logits[1], out[1]);
        // p = 0.65: removed where <= 0.35 → 0.1 and 0.2
        out = apply(new LogitsProcessor.TopP(0.65f), logits);
        assertEquals(NEG, out[0]);
        assertEquals(NEG, out[1]);
        assertEquals(logits[2], out[2]);
        // a tiny p keeps only the top token
        out = apply(new LogitsProcessor.TopP(0.01f), logits);
        assertArrayEquals(new float[] {NEG, NEG, NEG, logits[3]}, out);
    }

    @Test
    void minPRemovesTokensBelowFractionOfTop() {
        float[] logits = {(float) Math.log(0.05), (float) Math.log(0.15), (float) Math.log(0.3), (float) Math.log(0.5)};
        // threshold 0.4 * 0.5 = 0.2 → 0.05 and 0.15 go
        float[] out = apply(new LogitsProcessor.MinP(0.4f), logits);
        assertArrayEquals(new float[] {NEG, NEG, logits[2], logits[3]}, out);
        // min-p 1 keeps only the top token
        out = apply(new LogitsProcessor.MinP(1f), logits);
        assertArrayEquals(new float[] {NEG, NEG, NEG, logits[3]}, out);
    }

    @Test
    void processorOrderMatchesTransformers() {
        GenerationOptions o = GenerationOptions.builder().doSample(true).temperature(0.7).topK(10).topP(0.9).minP(0.05)
                .repetitionPenalty(1.3).build();
        List<Class<?>> kinds = o.processors().stream().<Class<?>>map(Object::getClass).toList();
        assertEquals(List.of(LogitsProcessor.RepetitionPenalty.class, LogitsProcessor.Temperature.class,
                LogitsProcessor.TopK.class, LogitsProcessor.TopP.class, LogitsProcessor.MinP.class), kinds);
        // greedy keeps only the repetition penalty
        assertEquals(List.of(new LogitsProcessor.RepetitionPenalty(1.3f)),
                o.toBuilder().doSample(false).build().processors());
        // defaults: temperature 1 and top-p 1 add nothing, top-k 50 is on (transformers' default)
        assertEquals(List.of(new LogitsProcessor.TopK(50)), GenerationOptions.builder().doSample(true).build().processors());
    }

    @Test
    void fullChainGivesHandComputedDistribution() {
        // logits [2, 1, 0, -1], context {0}, penalty 2 → [1, 1, 0, -1]; T = 0.5 → [2, 2, 0, -2];
        // top-k 3 → [2, 2, 0, -inf]; probs e^2, e^2, 1 over (2e^2 + 1)
        GenerationOptions o = GenerationOptions.builder().doSample(true).repetitionPenalty(2).temperature(0.5).topK(3).build();
        float[] s = {2f, 1f, 0f, -1f};
        for (LogitsProcessor p : o.processors()) p.apply(s, new int[] {0}, 1);
        float[] probs = Softmax.probabilities(s);
        double z = 2 * Math.exp(2) + 1;
        assertEquals(Math.exp(2) / z, probs[0], 1e-6);
        assertEquals(Math.exp(2) / z, probs[1], 1e-6);
        assertEquals(1 / z, probs[2], 1e-6);
        assertEquals(0.0, probs[3]);
    }
}
