package dev.jllm.eval.embed;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** BERTScore on 2-D token vectors whose cosines are worked out by hand. */
class BertScoreTest {
    static final int CLS = 0, SEP = 1;

    @Test
    void greedyMatchingByHand() {
        // Candidate: [CLS] (1,0) ; x=(1,0) ; y=(0,1) ; [SEP] (0,1).
        // Reference: [CLS] (1,0) ; u=(3,4)/5 ; [SEP] (0,1).
        float[] cand = {1, 0, 2, 0, 0, 5, 0, 1};          // x given as (2,0), y as (0,5): normalization must not matter
        int[] candIds = {CLS, 10, 11, SEP};
        float[] ref = {1, 0, 3, 4, 0, 1};
        int[] refIds = {CLS, 12, SEP};
        BertScore.Score s = BertScore.score(cand, candIds, ref, refIds, 2, BertScore.Idf.uniform(Set.of(CLS, SEP)));
        // Precision over x, y: best cos of x is 1 ([CLS] (1,0) matches), of y is 1 ([SEP]): P = 1.
        // Recall over u: cos(u, x) = 0.6, cos(u, y) = 0.8, cos(u, [CLS]) = .6, cos(u, [SEP]) = .8 -> 0.8.
        assertEquals(1.0, s.precision(), 1e-12);
        assertEquals(0.8, s.recall(), 1e-7);
        assertEquals(2 * 0.8 / 1.8, s.f1(), 1e-7);
    }

    @Test
    void idfWeightsByHand() {
        // References: {5, 6} and {5, 7}: M = 2; df(5) = 2 -> log(3/3) = 0; df(6) = df(7) = 1 -> log(3/2); unseen -> log 3.
        BertScore.Idf idf = BertScore.Idf.fromReferences(List.of(new int[]{CLS, 5, 6, SEP}, new int[]{CLS, 5, 7, SEP}), Set.of(CLS, SEP));
        assertEquals(0.0, idf.weight(5), 1e-15);
        assertEquals(Math.log(1.5), idf.weight(6), 1e-15);
        assertEquals(Math.log(3), idf.weight(99), 1e-15);
        assertEquals(0.0, idf.weight(CLS));
        // Candidate tokens 6 (vector (1,0)) and 99 (vector (0,1)); reference tokens 6 (1,0) and 7 (0.6, 0.8).
        float[] cand = {1, 0, 0, 1};
        float[] ref = {1, 0, 0.6f, 0.8f};
        BertScore.Score s = BertScore.score(cand, new int[]{6, 99}, ref, new int[]{6, 7}, 2, idf);
        // P: token 6 best 1.0 (w log1.5), token 99 best 0.8 (w log3).
        double p = (Math.log(1.5) * 1.0 + Math.log(3) * 0.8) / (Math.log(1.5) + Math.log(3));
        // R: token 6 best 1.0 (w log1.5), token 7 best 0.8 (w log1.5).
        double r = 0.9;
        assertEquals(p, s.precision(), 1e-7);
        assertEquals(r, s.recall(), 1e-7);
        assertEquals(2 * p * r / (p + r), s.f1(), 1e-7);
    }

    @Test
    void emptyCandidateScoresZero() {
        BertScore.Score s = BertScore.score(new float[]{1, 0, 0, 1}, new int[]{CLS, SEP}, new float[]{1, 0, 1, 1, 0, 1},
                new int[]{CLS, 4, SEP}, 2, BertScore.Idf.uniform(Set.of(CLS, SEP)));
        assertEquals(new BertScore.Score(0, 0, 0), s);
    }

    @Test
    void rescaleAndBestOfReferences() {
        BertScore.Score s = new BertScore.Score(0.9, 0.8, 0.85).rescale(new BertScore.Score(0.8, 0.6, 0.7));
        assertEquals(0.5, s.precision(), 1e-12);
        assertEquals(0.5, s.recall(), 1e-12);
        assertEquals(0.5, s.f1(), 1e-12);
        BertScore.Score best = BertScore.best(List.of(new BertScore.Score(0.9, 0.1, 0.2), new BertScore.Score(0.1, 0.8, 0.3)));
        assertEquals(new BertScore.Score(0.9, 0.8, 0.3), best);
    }

    @Test
    void poolingModesAndCosine() {
        float[] h = {1, 2, 3, 4, 100, 100};
        int[] mask = {1, 1, 0};
        assertEquals(2.0f, new Pooling(Pooling.Mode.MEAN, false).pool(h, 3, 2, mask)[0]);
        assertEquals(1.0f, new Pooling(Pooling.Mode.CLS, false).pool(h, 3, 2, mask)[0]);
        assertEquals(4.0f, new Pooling(Pooling.Mode.MAX, false).pool(h, 3, 2, mask)[1]);
        assertEquals(4 / Math.sqrt(2), new Pooling(Pooling.Mode.MEAN_SQRT_LEN, false).pool(h, 3, 2, mask)[0], 1e-6);
        float[] n = new Pooling(Pooling.Mode.MEAN, true).pool(h, 3, 2, mask);
        assertEquals(1.0, Math.hypot(n[0], n[1]), 1e-6);
        assertEquals(0.0, Pooling.cosine(new float[]{1, 0}, new float[]{0, 3}), 1e-12);
        assertEquals(-1.0, Pooling.cosine(new float[]{1, 1}, new float[]{-2, -2}), 1e-12);
    }
}
