package dev.jllm.eval.bench;

import dev.jllm.core.JllmException;

import java.math.BigDecimal;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GSM8K answer extraction and scoring.
 *
 * <ul>
 *   <li>Reference: the number after {@code ####} in the dataset's answer field.</li>
 *   <li>Model output: the last number in the last {@code \boxed{...}} if there is one, else the first number after
 *       the last {@code ####}, else the last number of the whole text.</li>
 *   <li>A number: optional sign ({@code -} or the Unicode minus) and {@code $}, digits with optional thousands
 *       commas ({@code 1,234,567}), optional decimals. A minus directly after a letter or digit is a hyphen, not a
 *       sign ({@code 10-12} is 10 and 12). Units and trailing periods are ignored ({@code $18.}, {@code 5kg}).</li>
 *   <li>Answers compare as decimal numbers, so {@code 18}, {@code 18.0} and {@code 18.00} are equal.</li>
 * </ul>
 */
public final class Gsm8k {
    private static final Pattern NUMBER = Pattern.compile(
            "(?<![\\p{L}\\p{N}])([-\u2212]?)\\$?([-\u2212]?)((?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?|\\.\\d+)");
    private static final Pattern HASHES = Pattern.compile("####");
    private static final String BOXED = "\\boxed{";

    private Gsm8k() {}

    private static final Pattern BARE_NUMBER = Pattern.compile("\\s*[-\u2212]?\\$?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?\\s*");

    /**
     * The number after {@code ####} in a GSM8K reference answer; a reference without {@code ####} must be just a
     * number (such as {@code 72} or {@code 1,000}).
     */
    public static BigDecimal referenceAnswer(String answerField) {
        int at = answerField.lastIndexOf("####");
        if (at < 0) {
            if (BARE_NUMBER.matcher(answerField).matches()) return lastNumber(answerField).orElseThrow();
            throw new JllmException("GSM8K reference is neither an answer with '####' nor a number: " + abbreviate(answerField));
        }
        return firstNumber(answerField.substring(at + 4))
                .orElseThrow(() -> new JllmException("GSM8K reference has no number after '####': " + abbreviate(answerField)));
    }

    /** The answer a model gave, or empty when the output holds no number. */
    public static Optional<BigDecimal> extractAnswer(String output) {
        Optional<String> boxed = lastBoxed(output);
        if (boxed.isPresent()) {
            Optional<BigDecimal> n = lastNumber(boxed.get());
            if (n.isPresent()) return n;
        }
        Matcher m = HASHES.matcher(output);
        int last = -1;
        while (m.find()) last = m.end();
        if (last >= 0) {
            Optional<BigDecimal> n = firstNumber(output.substring(last));
            if (n.isPresent()) return n;
        }
        return lastNumber(output);
    }

    /** 1 when the extracted answer equals the reference answer numerically, else 0 (also when none is found). */
    public static double score(String output, String referenceAnswerField) {
        BigDecimal expected = referenceAnswer(referenceAnswerField);
        return extractAnswer(output).map(a -> a.compareTo(expected) == 0 ? 1.0 : 0.0).orElse(0.0);
    }

    static Optional<BigDecimal> lastNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        BigDecimal last = null;
        while (m.find()) last = value(m);
        return Optional.ofNullable(last);
    }

    static Optional<BigDecimal> firstNumber(String text) {
        Matcher m = NUMBER.matcher(text);
        return m.find() ? Optional.of(value(m)) : Optional.empty();
    }

    private static BigDecimal value(Matcher m) {
        String sign = m.group(1).isEmpty() ? m.group(2) : m.group(1);
        BigDecimal value = new BigDecimal(m.group(3).replace(",", ""));
        return sign.isEmpty() ? value : value.negate();
    }

    /** The content of the last {@code \boxed{...}}, braces balanced. */
    static Optional<String> lastBoxed(String text) {
        int start = text.lastIndexOf(BOXED);
        while (start >= 0) {
            int depth = 1;
            int i = start + BOXED.length();
            for (; i < text.length() && depth > 0; i++) {
                char c = text.charAt(i);
                if (c == '{') depth++;
                else if (c == '}') depth--;
            }
            if (depth == 0) return Optional.of(text.substring(start + BOXED.length(), i - 1));
            start = start == 0 ? -1 : text.lastIndexOf(BOXED, start - 1); // unclosed: try an earlier one
        }
        return Optional.empty();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
