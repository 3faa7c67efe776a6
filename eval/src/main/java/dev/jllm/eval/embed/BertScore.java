package dev.jllm.eval.embed;

import dev.jllm.core.JllmException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * BERTScore as the {@code bert_score} package computes it: token vectors of one encoder layer are L2-normalized;
 * precision is the weighted mean over candidate tokens of their best cosine with a reference token, recall the
 * same from the reference side, F1 their harmonic mean. Weights are 1 (or idf with {@link Idf}) except the
 * {@code [CLS]} and {@code [SEP]} tokens, which weigh 0 but still take part in the matching. An empty candidate or
 * reference (only special tokens) scores 0, as bert_score sets it. Several references: P, R and F1 are each the
 * maximum over the references, as bert_score's {@code score()} takes them.
 */
public final class BertScore {

    public record Score(double precision, double recall, double f1) {
        /** bert_score's baseline rescaling: {@code (x - b) / (1 - b)} for each of P, R, F1. */
        public Score rescale(Score baseline) {
            return new Score((precision - baseline.precision) / (1 - baseline.precision),
                    (recall - baseline.recall) / (1 - baseline.recall), (f1 - baseline.f1) / (1 - baseline.f1));
        }
    }

    /**
     * bert_score's {@code get_idf_dict}: {@code log((M + 1) / (df + 1))} over the M references' token sets;
     * unseen ids get {@code log(M + 1)}; the ids in {@code zeroIds} ([CLS], [SEP]) get 0.
     */
    public record Idf(Map<Integer, Double> weights, double unseen, Set<Integer> zeroIds) {
        public static Idf fromReferences(List<int[]> references, Set<Integer> zeroIds) {
            Map<Integer, Integer> df = new HashMap<>();
            for (int[] ids : references) {
                Set<Integer> seen = new HashSet<>();
                for (int id : ids) if (seen.add(id)) df.merge(id, 1, Integer::sum);
            }
            int m = references.size();
            Map<Integer, Double> w = new HashMap<>();
            df.forEach((id, c) -> w.put(id, Math.log((m + 1.0) / (c + 1.0))));
            return new Idf(w, Math.log(m + 1.0), Set.copyOf(zeroIds));
        }

        /** Plain weighting: 1 for every token but the special ones. */
        public static Idf uniform(Set<Integer> zeroIds) {
            return new Idf(Map.of(), 1.0, Set.copyOf(zeroIds));
        }

        public double weight(int id) {
            if (zeroIds.contains(id)) return 0;
            return weights.getOrDefault(id, unseen);
        }
    }

    private BertScore() {
    }

    /** Scores one candidate against one reference from their token vectors ({@code [tokens][width]} row-major). */
    public static Score score(float[] cand, int[] candIds, float[] ref, int[] refIds, int width, Idf idf) {
        if (cand.length != candIds.length * width || ref.length != refIds.length * width) {
            throw new JllmException("token vectors do not match the token counts");
        }
        double[][] c = normalizedRows(cand, candIds.length, width);
        double[][] r = normalizedRows(ref, refIds.length, width);
        double[] bestForCand = new double[c.length];
        double[] bestForRef = new double[r.length];
        java.util.Arrays.fill(bestForCand, Double.NEGATIVE_INFINITY);
        java.util.Arrays.fill(bestForRef, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < c.length; i++) {
            for (int j = 0; j < r.length; j++) {
                double s = 0;
                for (int k = 0; k < width; k++) s += c[i][k] * r[j][k];
                bestForCand[i] = Math.max(bestForCand[i], s);
                bestForRef[j] = Math.max(bestForRef[j], s);
            }
        }
        double p = weightedMean(bestForCand, candIds, idf);
        double rc = weightedMean(bestForRef, refIds, idf);
        if (Double.isNaN(p) || Double.isNaN(rc)) return new Score(0, 0, 0);
        double f = p + rc == 0 ? 0 : 2 * p * rc / (p + rc);
        return new Score(p, rc, f);
    }

    private static double weightedMean(double[] best, int[] ids, Idf idf) {
        double sum = 0, weights = 0;
        for (int i = 0; i < ids.length; i++) {
            double w = idf.weight(ids[i]);
            sum += w * best[i];
            weights += w;
        }
        return weights == 0 ? Double.NaN : sum / weights;
    }

    private static double[][] normalizedRows(float[] v, int rows, int width) {
        double[][] out = new double[rows][width];
        for (int t = 0; t < rows; t++) {
            double n = 0;
            for (int k = 0; k < width; k++) n += (double) v[t * width + k] * v[t * width + k];
            n = Math.sqrt(n);
            for (int k = 0; k < width; k++) out[t][k] = v[t * width + k] / n;
        }
        return out;
    }

    /** Element-wise maximum over several references' scores. */
    public static Score best(List<Score> perReference) {
        if (perReference.isEmpty()) throw new JllmException("BERTScore needs at least one reference");
        double p = Double.NEGATIVE_INFINITY, r = Double.NEGATIVE_INFINITY, f = Double.NEGATIVE_INFINITY;
        for (Score s : perReference) {
            p = Math.max(p, s.precision());
            r = Math.max(r, s.recall());
            f = Math.max(f, s.f1());
        }
        return new Score(p, r, f);
    }

    /** Options of a corpus run: the hidden-state layer (null = last), idf weighting and an optional baseline. */
    public record Options(Integer layer, boolean idf, Score baseline) {
        public static Options defaults() {
            return new Options(null, false, null);
        }
    }

    /** The result of a corpus: each candidate's score and the means of P, R and F1. */
    public record Result(List<Score> scores, Score mean, int layer, boolean idf, boolean rescaled) {}

    /**
     * Scores candidates against their references (one list of references per candidate) with an encoder. The idf
     * table, when asked for, is built from all references, as bert_score builds it from {@code refs}.
     */
    public static Result corpus(SentenceEncoder encoder, List<String> candidates, List<List<String>> references, Options options) {
        if (candidates.size() != references.size()) {
            throw new JllmException(candidates.size() + " candidates but " + references.size() + " reference lists");
        }
        int layer = options.layer() == null ? encoder.numLayers() : options.layer();
        Set<Integer> special = new HashSet<>();
        List<List<SentenceEncoder.TokenEmbeddings>> refEmb = new ArrayList<>();
        List<int[]> allRefIds = new ArrayList<>();
        for (List<String> refs : references) {
            if (refs.isEmpty()) throw new JllmException("a candidate has no reference");
            List<SentenceEncoder.TokenEmbeddings> e = new ArrayList<>();
            for (String ref : refs) {
                SentenceEncoder.TokenEmbeddings t = encoder.tokenEmbeddings(ref, layer);
                e.add(t);
                allRefIds.add(t.ids());
            }
            refEmb.add(e);
        }
        // bert_score gives the [CLS] and [SEP] ids weight 0: the tokens the template adds around every text.
        special.addAll(encoder.tokenizer().templateIds());
        Idf idf = options.idf() ? Idf.fromReferences(allRefIds, special) : Idf.uniform(special);
        List<Score> scores = new ArrayList<>();
        double p = 0, r = 0, f = 0;
        for (int i = 0; i < candidates.size(); i++) {
            SentenceEncoder.TokenEmbeddings c = encoder.tokenEmbeddings(candidates.get(i), layer);
            List<Score> per = new ArrayList<>();
            for (SentenceEncoder.TokenEmbeddings ref : refEmb.get(i)) {
                per.add(score(c.vectors(), c.ids(), ref.vectors(), ref.ids(), c.width(), idf));
            }
            Score s = best(per);
            if (options.baseline() != null) s = s.rescale(options.baseline());
            scores.add(s);
            p += s.precision();
            r += s.recall();
            f += s.f1();
        }
        int n = Math.max(1, candidates.size());
        return new Result(scores, new Score(p / n, r / n, f / n), layer, options.idf(), options.baseline() != null);
    }
}
