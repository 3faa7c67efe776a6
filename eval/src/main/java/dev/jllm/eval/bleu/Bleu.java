package dev.jllm.eval.bleu;

import dev.jllm.core.JllmException;
import dev.jllm.eval.text.PyStrings;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * BLEU exactly as sacrebleu 2.6.0 computes it (Papineni et al., 2002, with sacrebleu's tokenizers, smoothing,
 * effective order, closest-reference brevity penalty and reproducibility signature).
 *
 * <pre>{@code
 * Bleu bleu = new Bleu(BleuOptions.corpusDefaults());
 * Bleu.Result r = bleu.corpusScore(hypotheses, List.of(referenceStream));
 * r.score().score();   // 0-100
 * r.signature();       // nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0
 * }</pre>
 */
public final class Bleu {
    /** The sacrebleu version whose numbers (and signature) this reproduces. */
    public static final String SACREBLEU_VERSION = "2.6.0";

    /** sacrebleu's stand-in for log(0): large and negative, so that exp() of the mean underflows to 0. */
    private static final double LOG_ZERO = -9999999999.0;

    private final BleuOptions options;

    public Bleu(BleuOptions options) {
        this.options = options;
    }

    public BleuOptions options() {
        return options;
    }

    /** A score with the signature that makes it reproducible. */
    public record Result(BleuScore score, String signature) {}

    /** Sentence BLEU of one hypothesis against its references (empty or null references are ignored). */
    public Result sentenceScore(String hypothesis, List<String> references) {
        if (hypothesis == null) throw new JllmException("BLEU: the hypothesis is missing");
        List<List<String>> streams = new ArrayList<>();
        for (String ref : references) {
            List<String> stream = new ArrayList<>(1);
            stream.add(ref);
            streams.add(stream);
        }
        return corpusScore(List.of(hypothesis), streams);
    }

    /**
     * Corpus BLEU. {@code referenceStreams} holds one list per reference set, each as long as the hypotheses; a null
     * or empty entry means that segment has fewer references (the signature then says {@code nrefs:var}).
     */
    public Result corpusScore(List<String> hypotheses, List<List<String>> referenceStreams) {
        if (hypotheses.isEmpty()) throw new JllmException("BLEU: no hypothesis to score");
        if (referenceStreams.isEmpty()) throw new JllmException("BLEU: no reference stream given");
        int segments = hypotheses.size();
        for (int s = 0; s < referenceStreams.size(); s++) {
            if (referenceStreams.get(s).size() != segments) {
                throw new JllmException("BLEU: reference stream " + (s + 1) + " has " + referenceStreams.get(s).size()
                        + " segments but there are " + segments + " hypotheses");
            }
        }
        int order = options.maxNgramOrder();
        long sysLen = 0;
        long refLen = 0;
        double[] correct = new double[order];
        double[] total = new double[order];
        Set<Integer> refCounts = new HashSet<>();
        for (int i = 0; i < segments; i++) {
            List<List<String>> refTokens = new ArrayList<>();
            for (List<String> stream : referenceStreams) {
                String ref = stream.get(i);
                if (ref != null && !ref.isEmpty()) refTokens.add(PyStrings.split(preprocess(ref)));
            }
            if (refTokens.isEmpty()) throw new JllmException("BLEU: segment " + (i + 1) + " has no (non-empty) reference");
            refCounts.add(refTokens.size());
            String hyp = hypotheses.get(i);
            if (hyp == null) throw new JllmException("BLEU: hypothesis " + (i + 1) + " is missing");
            List<String> hypTokens = PyStrings.split(preprocess(hyp));

            List<Map<String, Integer>> refNgrams = ngrams(refTokens.get(0), order);
            List<Integer> refLens = new ArrayList<>();
            refLens.add(refTokens.get(0).size());
            for (int r = 1; r < refTokens.size(); r++) {
                List<Map<String, Integer>> other = ngrams(refTokens.get(r), order);
                refLens.add(refTokens.get(r).size());
                for (int n = 0; n < order; n++) {
                    Map<String, Integer> merged = refNgrams.get(n);
                    other.get(n).forEach((g, c) -> merged.merge(g, c, Math::max));
                }
            }
            List<Map<String, Integer>> hypNgrams = ngrams(hypTokens, order);
            sysLen += hypTokens.size();
            refLen += closestRefLength(hypTokens.size(), refLens);
            for (int n = 0; n < order; n++) {
                Map<String, Integer> refN = refNgrams.get(n);
                for (Map.Entry<String, Integer> e : hypNgrams.get(n).entrySet()) {
                    total[n] += e.getValue();
                    Integer rc = refN.get(e.getKey());
                    if (rc != null) correct[n] += Math.min(e.getValue(), rc);
                }
            }
        }
        BleuScore score = computeBleu(correct, total, sysLen, refLen, options.smoothMethod(), options.smoothValue(),
                options.effectiveOrder(), order);
        int nrefs = refCounts.size() == 1 ? refCounts.iterator().next() : -1;
        return new Result(score, signature(nrefs));
    }

    /** sacrebleu's preprocessing: optional lowercasing, trailing whitespace removed, then the tokenizer. */
    private String preprocess(String segment) {
        if (options.lowercase()) segment = segment.toLowerCase(Locale.ROOT);
        return options.tokenizer().tokenize(PyStrings.rstrip(segment));
    }

    /** The n-gram counts of orders 1..maxOrder; a key is the n-gram's tokens joined by a space (tokens have none). */
    private static List<Map<String, Integer>> ngrams(List<String> tokens, int maxOrder) {
        List<Map<String, Integer>> out = new ArrayList<>(maxOrder);
        for (int n = 1; n <= maxOrder; n++) {
            Map<String, Integer> counts = new HashMap<>();
            for (int i = 0; i + n <= tokens.size(); i++) {
                counts.merge(String.join(" ", tokens.subList(i, i + n)), 1, Integer::sum);
            }
            out.add(counts);
        }
        return out;
    }

    /** The reference length closest to the hypothesis length; on a tie the shorter one. */
    static int closestRefLength(int hypLen, List<Integer> refLens) {
        int closestDiff = -1;
        int closestLen = -1;
        for (int len : refLens) {
            int diff = Math.abs(hypLen - len);
            if (closestDiff == -1 || diff < closestDiff) {
                closestDiff = diff;
                closestLen = len;
            } else if (diff == closestDiff && len < closestLen) {
                closestLen = len;
            }
        }
        return closestLen;
    }

    /**
     * BLEU from its sufficient statistics, as sacrebleu's {@code BLEU.compute_bleu}. The arrays are copied; with
     * add-k the returned counts and totals include the added value for orders above 1, as sacrebleu's do.
     */
    public static BleuScore computeBleu(double[] correctIn, double[] totalIn, long sysLen, long refLen,
                                        SmoothMethod smoothMethod, Double smoothValue, boolean effectiveOrder,
                                        int maxNgramOrder) {
        double[] correct = correctIn.clone();
        double[] total = totalIn.clone();
        double smooth = smoothValue != null ? smoothValue : (smoothMethod.defaultValue() != null ? smoothMethod.defaultValue() : 0);
        double bp;
        if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - (double) refLen / sysLen) : 0.0;
        else bp = 1.0;
        double[] precisions = new double[maxNgramOrder];

        boolean anyCorrect = false;
        for (double c : correct) if (c != 0) anyCorrect = true;
        if (!anyCorrect) return new BleuScore(0.0, correct, total, precisions, bp, sysLen, refLen);

        double smoothMteval = 1.0;
        int effOrder = maxNgramOrder;
        for (int n = 1; n <= maxNgramOrder; n++) {
            if (smoothMethod == SmoothMethod.ADD_K && n > 1) {
                correct[n - 1] += smooth;
                total[n - 1] += smooth;
            }
            if (total[n - 1] == 0) break;
            if (effectiveOrder) effOrder = n;
            if (correct[n - 1] == 0) {
                if (smoothMethod == SmoothMethod.EXP) {
                    smoothMteval *= 2;
                    precisions[n - 1] = 100.0 / (smoothMteval * total[n - 1]);
                } else if (smoothMethod == SmoothMethod.FLOOR) {
                    precisions[n - 1] = 100.0 * smooth / total[n - 1];
                }
            } else {
                precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1];
            }
        }
        double logSum = 0;
        for (int n = 0; n < effOrder; n++) logSum += precisions[n] == 0.0 ? LOG_ZERO : Math.log(precisions[n]);
        double score = bp * Math.exp(logSum / effOrder);
        return new BleuScore(score, correct, total, precisions, bp, sysLen, refLen);
    }

    /**
     * sacrebleu's signature, e.g. {@code nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0}.
     *
     * @param nrefs the number of references per segment, or -1 when it varies ({@code nrefs:var})
     */
    public String signature(int nrefs) {
        String smooth = options.smoothMethod().sacrebleuName();
        if (options.smoothMethod().takesValue()) {
            smooth += "[" + formatTwoDecimals(options.effectiveSmoothValue()) + "]";
        }
        return "nrefs:" + (nrefs == -1 ? "var" : Integer.toString(nrefs))
                + "|case:" + (options.lowercase() ? "lc" : "mixed")
                + "|eff:" + (options.effectiveOrder() ? "yes" : "no")
                + "|tok:" + options.tokenizer().signature()
                + "|smooth:" + smooth
                + "|version:" + SACREBLEU_VERSION;
    }

    /** Python's {@code f'{x:.2f}'}: the exact binary value rounded half-to-even. */
    static String formatTwoDecimals(double x) {
        return new BigDecimal(x).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }
}
