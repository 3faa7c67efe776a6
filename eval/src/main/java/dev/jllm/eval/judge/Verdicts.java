package dev.jllm.eval.judge;

import java.util.Locale;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parsing of judge outputs. Every method accepts any string (null, empty, huge, malformed) and returns a value
 * that says "unparseable" instead of throwing. The bracketed forms the default templates ask for
 * ({@code [[A]]}, {@code [[B]]}, {@code [[C]]} for a tie, {@code [[7]]}, {@code [[SAFE]]}/{@code [[UNSAFE]]})
 * win; when the output mentions several, the last one counts (judges reason first and conclude last). Looser
 * phrasings ("Verdict: B", "Rating: 8/10") are accepted as a fallback.
 */
public final class Verdicts {
    /** Longer outputs are cut to their end: the conclusion is there, and the regexes stay linear in a bounded input. */
    static final int MAX_CHARS = 20_000;

    public enum Pairwise { A, B, TIE, INVALID }

    public enum Safety { SAFE, UNSAFE, INVALID }

    private static final Pattern PAIR_BRACKET = Pattern.compile("\\[\\[\\s*(A|B|C|TIE)\\s*]]", Pattern.CASE_INSENSITIVE);
    private static final Pattern PAIR_LOOSE = Pattern.compile(
            "(?:verdict|winner|better (?:answer|response)|final answer)\\s*(?:is|:)?\\s*(?:assistant|answer|response)?\\s*\\(?\\s*\\b(A|B|tie)\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern RATING_BRACKET = Pattern.compile("\\[\\[\\s*([-+]?\\d+(?:\\.\\d+)?)\\s*(?:/\\s*\\d+)?\\s*]]");
    private static final Pattern RATING_LOOSE = Pattern.compile(
            "(?:rating|score|grade)\\s*(?:is|:|=)?\\s*\\**\\s*([-+]?\\d+(?:\\.\\d+)?)\\s*(?:/\\s*\\d+|out of \\d+)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern SAFETY_BRACKET = Pattern.compile("\\[\\[\\s*(SAFE|UNSAFE)\\s*]]", Pattern.CASE_INSENSITIVE);
    private static final Pattern SAFETY_LOOSE = Pattern.compile("\\b(unsafe|not safe|safe)\\b", Pattern.CASE_INSENSITIVE);

    private Verdicts() {
    }

    static String bounded(String s) {
        if (s == null) return "";
        return s.length() > MAX_CHARS ? s.substring(s.length() - MAX_CHARS) : s;
    }

    private static String last(Pattern p, String text) {
        Matcher m = p.matcher(text);
        String found = null;
        while (m.find()) found = m.group(1);
        return found;
    }

    public static Pairwise pairwise(String output) {
        String text = bounded(output);
        String v = last(PAIR_BRACKET, text);
        if (v == null) v = last(PAIR_LOOSE, text);
        if (v == null) return Pairwise.INVALID;
        return switch (v.toUpperCase(Locale.ROOT)) {
            case "A" -> Pairwise.A;
            case "B" -> Pairwise.B;
            default -> Pairwise.TIE;
        };
    }

    /** A rating within {@code [min, max]}, or empty when none is found or it is out of range. */
    public static OptionalDouble rating(String output, double min, double max) {
        String text = bounded(output);
        String v = last(RATING_BRACKET, text);
        if (v == null) v = last(RATING_LOOSE, text);
        if (v == null) return OptionalDouble.empty();
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return OptionalDouble.empty();
        }
        return Double.isFinite(d) && d >= min && d <= max ? OptionalDouble.of(d) : OptionalDouble.empty();
    }

    public static Safety safety(String output) {
        String text = bounded(output);
        String v = last(SAFETY_BRACKET, text);
        if (v == null) v = last(SAFETY_LOOSE, text);
        if (v == null) return Safety.INVALID;
        return v.equalsIgnoreCase("safe") ? Safety.SAFE : Safety.UNSAFE;
    }
}
