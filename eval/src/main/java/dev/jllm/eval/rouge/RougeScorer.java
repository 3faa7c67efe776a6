package dev.jllm.eval.rouge;

import dev.jllm.core.JllmException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * ROUGE exactly as google-research's rouge_score {@code RougeScorer}: {@code rougeN} (N = 1..9) from n-gram overlap,
 * {@code rougeL} from the longest common subsequence, and {@code rougeLsum}, the summary-level LCS over sentences
 * separated by newlines (ROUGE-1.5.5's union LCS without double counting).
 *
 * <p>rouge_score can also split rougeLsum sentences with NLTK's Punkt model ({@code split_summaries=True}); that
 * needs Punkt's trained parameters and is not offered: put one sentence per line instead.
 */
public final class RougeScorer {
    private static final Pattern ROUGE_N = Pattern.compile("rouge[0-9]");

    private final List<String> rougeTypes;
    private final RougeTokenizer tokenizer;

    public RougeScorer(List<String> rougeTypes, boolean useStemmer) {
        if (rougeTypes.isEmpty()) throw new JllmException("ROUGE: no rouge type given");
        for (String t : rougeTypes) {
            if (t.equals("rougeL") || t.equals("rougeLsum")) continue;
            if (!ROUGE_N.matcher(t).matches()) {
                throw new JllmException("ROUGE: invalid rouge type '" + t + "' (expected rouge1..rouge9, rougeL or rougeLsum)");
            }
            if (t.equals("rouge0")) throw new JllmException("ROUGE: rougeN requires a positive n, got '" + t + "'");
        }
        this.rougeTypes = List.copyOf(rougeTypes);
        this.tokenizer = new RougeTokenizer(useStemmer);
    }

    public List<String> rougeTypes() {
        return rougeTypes;
    }

    public RougeTokenizer tokenizer() {
        return tokenizer;
    }

    /** Scores one prediction against its target; the map keeps the order of the requested types. */
    public Map<String, RougeScore> score(String target, String prediction) {
        List<String> targetTokens = tokenizer.tokenize(target);
        List<String> predictionTokens = tokenizer.tokenize(prediction);
        Map<String, RougeScore> result = new LinkedHashMap<>();
        for (String type : rougeTypes) {
            RougeScore s;
            if (type.equals("rougeL")) {
                s = scoreLcs(targetTokens, predictionTokens);
            } else if (type.equals("rougeLsum")) {
                s = summaryLevelLcs(sentences(target), sentences(prediction));
            } else {
                int n = type.charAt(5) - '0';
                s = scoreNgrams(ngrams(targetTokens, n), ngrams(predictionTokens, n));
            }
            result.put(type, s);
        }
        return result;
    }

    /**
     * Scores a prediction against several targets as rouge_score's {@code score_multi}: for each type, the score of
     * the target with the highest F-measure (the first one on ties, as {@code np.argmax}).
     */
    public Map<String, RougeScore> scoreMulti(List<String> targets, String prediction) {
        if (targets.isEmpty()) throw new JllmException("ROUGE: no target given");
        List<Map<String, RougeScore>> all = new ArrayList<>();
        for (String t : targets) all.add(score(t, prediction));
        Map<String, RougeScore> best = new LinkedHashMap<>();
        for (String type : rougeTypes) {
            RougeScore max = all.get(0).get(type);
            for (Map<String, RougeScore> s : all) if (s.get(type).fmeasure() > max.fmeasure()) max = s.get(type);
            best.put(type, max);
        }
        return best;
    }

    /** Newline-separated sentences, empty ones dropped, each tokenized. */
    private List<List<String>> sentences(String text) {
        List<List<String>> out = new ArrayList<>();
        for (String s : text.split("\n", -1)) if (!s.isEmpty()) out.add(tokenizer.tokenize(s));
        return out;
    }

    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> counts = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) counts.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        return counts;
    }

    private static RougeScore scoreNgrams(Map<List<String>, Integer> target, Map<List<String>, Integer> prediction) {
        long overlap = 0;
        for (Map.Entry<List<String>, Integer> e : target.entrySet()) {
            overlap += Math.min(e.getValue(), prediction.getOrDefault(e.getKey(), 0));
        }
        long targetCount = target.values().stream().mapToLong(Integer::longValue).sum();
        long predictionCount = prediction.values().stream().mapToLong(Integer::longValue).sum();
        double precision = (double) overlap / Math.max(predictionCount, 1);
        double recall = (double) overlap / Math.max(targetCount, 1);
        return RougeScore.of(precision, recall);
    }

    private static RougeScore scoreLcs(List<String> target, List<String> prediction) {
        if (target.isEmpty() || prediction.isEmpty()) return RougeScore.ZERO;
        int[][] table = lcsTable(target, prediction);
        int lcs = table[target.size()][prediction.size()];
        return RougeScore.of((double) lcs / prediction.size(), (double) lcs / target.size());
    }

    static int[][] lcsTable(List<String> ref, List<String> can) {
        int rows = ref.size();
        int cols = can.size();
        int[][] t = new int[rows + 1][cols + 1];
        for (int i = 1; i <= rows; i++) {
            for (int j = 1; j <= cols; j++) {
                t[i][j] = ref.get(i - 1).equals(can.get(j - 1)) ? t[i - 1][j - 1] + 1 : Math.max(t[i - 1][j], t[i][j - 1]);
            }
        }
        return t;
    }

    /** Indices into {@code ref} of one LCS, read back as rouge_score does (ties move up, not left). */
    static List<Integer> lcsIndices(List<String> ref, List<String> can) {
        int[][] t = lcsTable(ref, can);
        int i = ref.size();
        int j = can.size();
        List<Integer> lcs = new ArrayList<>();
        while (i > 0 && j > 0) {
            if (ref.get(i - 1).equals(can.get(j - 1))) {
                lcs.addFirst(i - 1);
                i--;
                j--;
            } else if (t[i][j - 1] > t[i - 1][j]) {
                j--;
            } else {
                i--;
            }
        }
        return lcs;
    }

    private static RougeScore summaryLevelLcs(List<List<String>> refSents, List<List<String>> canSents) {
        if (refSents.isEmpty() || canSents.isEmpty()) return RougeScore.ZERO;
        long m = refSents.stream().mapToLong(List::size).sum();
        long n = canSents.stream().mapToLong(List::size).sum();
        if (n == 0 || m == 0) return RougeScore.ZERO;
        Map<String, Integer> refCounts = new HashMap<>();
        Map<String, Integer> canCounts = new HashMap<>();
        for (List<String> s : refSents) for (String t : s) refCounts.merge(t, 1, Integer::sum);
        for (List<String> s : canSents) for (String t : s) canCounts.merge(t, 1, Integer::sum);
        long hits = 0;
        for (List<String> ref : refSents) {
            TreeSet<Integer> union = new TreeSet<>();
            for (List<String> can : canSents) union.addAll(lcsIndices(ref, can));
            for (int idx : union) {
                String t = ref.get(idx);
                // Each token counts at most as often as it occurs on both sides (ROUGE-1.5.5's rule).
                if (canCounts.getOrDefault(t, 0) > 0 && refCounts.getOrDefault(t, 0) > 0) {
                    hits++;
                    canCounts.merge(t, -1, Integer::sum);
                    refCounts.merge(t, -1, Integer::sum);
                }
            }
        }
        return RougeScore.of((double) hits / n, (double) hits / m);
    }
}
