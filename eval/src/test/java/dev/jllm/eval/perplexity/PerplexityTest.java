package dev.jllm.eval.perplexity;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class PerplexityTest {

    /**
     * A toy model over a vocabulary of 4 whose logits depend on the previous token and on how many tokens of
     * context it sees (capped at 3), so that windows with less context give different losses.
     */
    static final class ToyModel implements LogitsSource {
        final List<int[]> calls = new ArrayList<>();
        final int context;

        ToyModel(int context) {
            this.context = context;
        }

        @Override
        public float[][] logits(int[] ids) {
            if (ids.length > context) throw new AssertionError("over context");
            calls.add(ids.clone());
            float[][] out = new float[ids.length][4];
            for (int t = 0; t < ids.length; t++) {
                int seen = Math.min(t + 1, 3);
                for (int v = 0; v < 4; v++) out[t][v] = (v == (ids[t] + 1) % 4 ? 1f : 0f) * seen + 0.1f * v;
            }
            return out;
        }

        @Override
        public int contextLength() {
            return context;
        }
    }

    private static double ce(float[] row, int target) {
        double s = 0;
        for (float v : row) s += Math.exp(v);
        return Math.log(s) - row[target];
    }

    @Test
    void wholeTextIsMeanCrossEntropy() {
        ToyModel m = new ToyModel(16);
        int[] ids = {0, 1, 2, 0, 3};
        TextPerplexity p = Perplexity.ofIds(m, ids);
        float[][] l = m.logits(ids);
        double sum = 0;
        for (int t = 0; t < 4; t++) sum += ce(l[t], ids[t + 1]);
        assertEquals(4, p.tokens());
        assertEquals(sum, p.sumNll(), 1e-12);
        assertEquals(Math.exp(sum / 4), p.perplexity(), 1e-12);
    }

    @Test
    void uniformLogitsGiveVocabularySize() {
        LogitsSource uniform = new LogitsSource() {
            public float[][] logits(int[] ids) {
                return new float[ids.length][7];
            }

            public int contextLength() {
                return 100;
            }
        };
        assertEquals(7.0, Perplexity.ofIds(uniform, new int[]{1, 2, 3, 4}).perplexity(), 1e-12);
    }

    @Test
    void slidingWindowFollowsTheTransformersRecipe() {
        // 8 tokens, windows of 4 every 2: [0,4) scores 3 tokens (weight 3); [2,6) scores 2 (weight 1);
        // [4,8) scores 2 (weight 1); end reached.
        ToyModel m = new ToyModel(4);
        int[] ids = {0, 1, 3, 2, 0, 1, 1, 2};
        TextPerplexity p = Perplexity.slidingWindow(m, ids, 4, 2);
        assertEquals(3, m.calls.size());
        double w1 = 0;
        float[][] a = new ToyModel(4).logits(new int[]{0, 1, 3, 2});
        for (int t = 0; t < 3; t++) w1 += ce(a[t], ids[t + 1]);
        float[][] b = new ToyModel(4).logits(new int[]{3, 2, 0, 1});
        double w2 = (ce(b[1], 0) + ce(b[2], 1)) / 2;
        float[][] c = new ToyModel(4).logits(new int[]{0, 1, 1, 2});
        double w3 = (ce(c[1], 1) + ce(c[2], 2)) / 2;
        double expected = Math.exp((w1 + w2 * 1 + w3 * 1) / (3 + 1 + 1));
        assertEquals(expected, p.perplexity(), 1e-12);
        assertEquals(7, p.tokenNll().length);
    }

    @Test
    void strideEqualToWindowIsDisjointChunks() {
        ToyModel m = new ToyModel(4);
        int[] ids = {0, 1, 3, 2, 0, 1, 1};
        TextPerplexity p = Perplexity.slidingWindow(m, ids, 4, 4);
        // [0,4) scores 3 tokens, [4,7) scores 2 tokens (its first token has no context): weights 3 and 2.
        assertEquals(5, p.tokens());
        assertEquals(5, p.weight(), 0);
    }

    @Test
    void windowCoveringTheTextEqualsWholeText() {
        int[] ids = {0, 1, 3, 2, 0};
        assertEquals(Perplexity.ofIds(new ToyModel(8), ids).perplexity(),
                Perplexity.slidingWindow(new ToyModel(8), ids, 8, 3).perplexity(), 1e-12);
    }

    @Test
    void badInput() {
        ToyModel m = new ToyModel(4);
        assertThrows(JllmException.class, () -> Perplexity.ofIds(m, new int[]{1}));
        assertThrows(JllmException.class, () -> Perplexity.ofIds(m, new int[]{1, 2, 3, 0, 1}));
        assertThrows(JllmException.class, () -> Perplexity.ofIds(m, new int[]{1, 9}));
        assertThrows(JllmException.class, () -> Perplexity.slidingWindow(m, new int[]{1, 2, 3}, 4, 0));
        assertThrows(JllmException.class, () -> Perplexity.slidingWindow(m, new int[]{1, 2, 3}, 8, 2));
    }

    @Test
    void meanIsOfPerTextPerplexities() {
        var a = new TextPerplexity(1, new double[]{0}, 0, 1, 2.0);
        var b = new TextPerplexity(1, new double[]{0}, 0, 1, 4.0);
        assertEquals(3.0, PerplexityResult.of(List.of(a, b)).meanPerplexity());
    }
}
