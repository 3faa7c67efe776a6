package dev.jllm.model.arch;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Router softmax, top-k and the two renormalization rules, against hand-computed values. */
class MoeRoutingTest {
    // logits ln(0.1), ln(0.2), ln(0.3), ln(0.4): the softmax gives exactly those probabilities
    private static final float[] LOGITS = {(float) Math.log(0.1), (float) Math.log(0.2), (float) Math.log(0.3), (float) Math.log(0.4)};

    @Test
    void mixtralStyleRenormalizesTopK() {
        Transformer.Routing r = Transformer.route(LOGITS, 1, 4, 2, true);
        assertArrayEquals(new int[] {3, 2}, r.experts());
        assertEquals(0.4 / 0.7, r.weights()[0], 1e-6);
        assertEquals(0.3 / 0.7, r.weights()[1], 1e-6);
    }

    @Test
    void qwen3MoeWithoutNormTopkProbKeepsFullSoftmaxWeights() {
        Transformer.Routing r = Transformer.route(LOGITS, 1, 4, 2, false);
        assertArrayEquals(new int[] {3, 2}, r.experts());
        assertEquals(0.4, r.weights()[0], 1e-6);
        assertEquals(0.3, r.weights()[1], 1e-6);
    }

    @Test
    void severalTokensRouteIndependently() {
        float[] logits = new float[8];
        System.arraycopy(LOGITS, 0, logits, 0, 4);
        for (int i = 0; i < 4; i++) logits[4 + i] = LOGITS[3 - i];
        Transformer.Routing r = Transformer.route(logits, 2, 4, 1, true);
        assertArrayEquals(new int[] {3, 0}, r.experts());
        assertArrayEquals(new float[] {1f, 1f}, r.weights());
    }
}
