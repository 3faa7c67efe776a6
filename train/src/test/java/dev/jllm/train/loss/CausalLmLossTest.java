package dev.jllm.train.loss;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.jllm.train.nn.GradCheck.check;
import static dev.jllm.train.nn.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CausalLmLossTest {
    private final Random rnd = new Random(7);

    @Test
    void gradientMatchesFiniteDifferences() {
        int rows = 2, T = 5, dim = 4, vocab = 11;
        float[] h = random(rnd, rows * T * dim, 1), w = random(rnd, vocab * dim, 1);
        int[] labels = {-100, 3, 4, -100, 10, -100, 0, 0, 7, -100};
        int items = CausalLmLoss.countItems(labels, rows, T);
        assertEquals(6, items);
        float[] dh = new float[h.length], dw = new float[w.length];
        CausalLmLoss.compute(h, w, labels, rows, T, dim, vocab, 9.0, dh, dw);
        java.util.function.DoubleSupplier f = () -> CausalLmLoss.compute(h, w, labels, rows, T, dim, vocab, 9.0, null, null).lossSum() / 9.0;
        check("dhidden", h, dh, f);
        check("dlm_head", w, dw, f);
    }

    @Test
    void labelsAreShiftedInsideTheLoss() {
        int dim = 2, vocab = 3;
        float[] h = {1, 0, 0, 1};        // position 0 and 1
        float[] w = {5, 0, 0, 5, 0, 0};  // logits: pos0 → [5,0,0], pos1 → [0,5,0]
        int[] labels = {-100, 0};         // position 0 must predict label[1] = 0
        var r = CausalLmLoss.compute(h, w, labels, 1, 2, dim, vocab, 1, null, null);
        double expected = Math.log(Math.exp(5) + 2) - 5;
        assertEquals(expected, r.lossSum(), 1e-6);
        assertEquals(1, r.tokens());
        assertEquals(1, r.correct());
    }

    @Test
    void manyChunksGiveTheSameLossAsOne() {
        int rows = 3, T = 200, dim = 3, vocab = 5000;   // more than one chunk of logits
        float[] h = random(rnd, rows * T * dim, 1), w = random(rnd, vocab * dim, 0.1);
        int[] labels = new int[rows * T];
        for (int i = 0; i < labels.length; i++) labels[i] = rnd.nextInt(vocab);
        double total = CausalLmLoss.compute(h, w, labels, rows, T, dim, vocab, 1, null, null).lossSum();
        double sum = 0;
        for (int b = 0; b < rows; b++) {
            float[] hb = java.util.Arrays.copyOfRange(h, b * T * dim, (b + 1) * T * dim);
            sum += CausalLmLoss.compute(hb, w, java.util.Arrays.copyOfRange(labels, b * T, (b + 1) * T), 1, T, dim, vocab, 1, null, null).lossSum();
        }
        assertEquals(sum, total, 1e-8 * Math.abs(total));
    }

    @Test
    void outOfRangeLabelIsAClearError() {
        var e = assertThrows(JllmException.class, () -> CausalLmLoss.compute(new float[4], new float[6], new int[]{0, 7}, 1, 2, 2, 3, 1, null, null));
        assertEquals(true, e.getMessage().contains("label 7"));
    }
}
