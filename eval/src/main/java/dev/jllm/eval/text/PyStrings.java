package dev.jllm.eval.text;

import java.util.ArrayList;
import java.util.List;

/**
 * Python's string semantics where the reference metrics depend on them. Python's {@code str.split()} and
 * {@code str.rstrip()} treat a different set of characters as whitespace than {@link Character#isWhitespace}
 * (Python includes U+00A0, U+2007, U+202F and U+0085; Java does not), and a metric that splits differently
 * counts different tokens.
 */
public final class PyStrings {
    private PyStrings() {}

    /** Python 3's {@code str.isspace()} for one code point (bidirectional class WS, B or S, or category Zs). */
    public static boolean isSpace(int cp) {
        return switch (cp) {
            case '\t', '\n', 0x0B, '\f', '\r', 0x1C, 0x1D, 0x1E, 0x1F, ' ', 0x85, 0xA0, 0x1680,
                 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    /** Python's {@code s.split()}: runs of whitespace separate fields, no empty fields. */
    public static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int n = s.length();
        int i = 0;
        while (i < n) {
            while (i < n && isSpace(s.charAt(i))) i++;
            if (i >= n) break;
            int start = i;
            while (i < n && !isSpace(s.charAt(i))) i++;
            out.add(s.substring(start, i));
        }
        return out;
    }

    /** Python's {@code s.rstrip()}. */
    public static String rstrip(String s) {
        int end = s.length();
        while (end > 0 && isSpace(s.charAt(end - 1))) end--;
        return s.substring(0, end);
    }

    /** Python's {@code s.strip()}. */
    public static String strip(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isSpace(s.charAt(start))) start++;
        while (end > start && isSpace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    /** Python's {@code len(s)}: the number of code points, not UTF-16 units. */
    public static int length(String s) {
        return s.codePointCount(0, s.length());
    }
}
