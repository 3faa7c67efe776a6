package dev.jllm.eval.bench;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Exact match after SQuAD's answer normalization ({@code normalize_answer} of the official SQuAD v1.1 script, also
 * used by lm-evaluation-harness and many QA benchmarks): lowercase, drop ASCII punctuation, drop the articles a, an
 * and the, collapse whitespace.
 */
public final class ExactMatch {
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);

    private ExactMatch() {}

    public static String normalize(String text) {
        String lower = text.toLowerCase(Locale.ROOT);
        StringBuilder sb = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if (PUNCTUATION.indexOf(c) < 0) sb.append(c);
        }
        String noArticles = ARTICLES.matcher(sb).replaceAll(" ");
        return String.join(" ", dev.jllm.eval.text.PyStrings.split(noArticles));
    }

    /** 1 when the normalized prediction equals the normalized reference, else 0. */
    public static double score(String prediction, String reference) {
        return normalize(prediction).equals(normalize(reference)) ? 1.0 : 0.0;
    }

    /** The best score over several acceptable references. */
    public static double score(String prediction, List<String> references) {
        double best = 0;
        for (String r : references) best = Math.max(best, score(prediction, r));
        return best;
    }
}
