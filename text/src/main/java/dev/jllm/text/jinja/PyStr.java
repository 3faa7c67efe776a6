package dev.jllm.text.jinja;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Python {@code str} methods with Python's exact semantics (whitespace set, code points, split rules). */
final class PyStr {
    private PyStr() {}

    /** Python's {@code str.isspace} for one code point. */
    static boolean isSpace(int cp) {
        return Lexer.isWhitespace(cp);
    }

    private static boolean inChars(int cp, String chars) {
        return chars == null ? isSpace(cp) : chars.indexOf(Character.toString(cp)) >= 0;
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0, end = s.length();
        if (left) {
            while (start < end) {
                int cp = s.codePointAt(start);
                if (!inChars(cp, chars)) break;
                start += Character.charCount(cp);
            }
        }
        if (right) {
            while (end > start) {
                int cp = s.codePointBefore(end);
                if (!inChars(cp, chars)) break;
                end -= Character.charCount(cp);
            }
        }
        return s.substring(start, end);
    }

    /** Python's {@code str.split(sep, maxsplit)}; sep null splits on runs of whitespace. */
    static List<String> split(String s, String sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0, n = s.length();
            while (true) {
                while (i < n && isSpace(s.codePointAt(i))) i += Character.charCount(s.codePointAt(i));
                if (i >= n) break;
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(s.substring(i));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.codePointAt(j))) j += Character.charCount(s.codePointAt(j));
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new TemplateException(TemplateException.Kind.ValueError, "empty separator");
        int i = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int j = s.indexOf(sep, i);
            if (j < 0) break;
            out.add(s.substring(i, j));
            i = j + sep.length();
        }
        out.add(s.substring(i));
        return out;
    }

    /** Python's {@code str.rsplit(sep, maxsplit)}. */
    static List<String> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0) return split(s, sep, maxsplit);
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int end = s.length();
            while (true) {
                while (end > 0 && isSpace(s.codePointBefore(end))) end -= Character.charCount(s.codePointBefore(end));
                if (end <= 0) break;
                if (out.size() == maxsplit) {
                    out.addFirst(s.substring(0, end));
                    break;
                }
                int j = end;
                while (j > 0 && !isSpace(s.codePointBefore(j))) j -= Character.charCount(s.codePointBefore(j));
                out.addFirst(s.substring(j, end));
                end = j;
            }
            return out;
        }
        if (sep.isEmpty()) throw new TemplateException(TemplateException.Kind.ValueError, "empty separator");
        int end = s.length();
        while (out.size() < maxsplit) {
            int j = s.lastIndexOf(sep, end - sep.length());
            if (j < 0 || end - sep.length() < 0) break;
            out.addFirst(s.substring(j + sep.length(), end));
            end = j;
        }
        out.addFirst(s.substring(0, end));
        return out;
    }

    private static boolean isLineBreak(char c) {
        return c == '\n' || c == '\r' || c == 0x0b || c == 0x0c || c == 0x1c || c == 0x1d || c == 0x1e || c == 0x85
                || c == 0x2028 || c == 0x2029;
    }

    /** Python's {@code str.splitlines(keepends)}. */
    static List<String> splitlines(String s, boolean keepends) {
        List<String> out = new ArrayList<>();
        int i = 0, start = 0, n = s.length();
        while (i < n) {
            char c = s.charAt(i);
            if (isLineBreak(c)) {
                int eol = i + 1;
                if (c == '\r' && eol < n && s.charAt(eol) == '\n') eol++;
                out.add(s.substring(start, keepends ? eol : i));
                start = i = eol;
            } else {
                i++;
            }
        }
        if (start < n) out.add(s.substring(start));
        return out;
    }

    /** Python's {@code str.replace(old, new, count)}, including the empty-{@code old} case. */
    static String replace(Interpreter in, String s, String old, String replacement, int count) {
        if (old.isEmpty()) {
            int[] cps = Py.codePoints(s);
            int slots = count < 0 ? cps.length + 1 : Math.min(count, cps.length + 1);
            in.checkLength((long) s.length() + (long) slots * replacement.length());
            StringBuilder sb = new StringBuilder();
            for (int k = 0; k < cps.length; k++) {
                if (k < slots) sb.append(replacement);
                sb.appendCodePoint(cps[k]);
            }
            if (slots > cps.length) sb.append(replacement);
            return sb.toString();
        }
        int occurrences = 0;
        for (int j = s.indexOf(old); j >= 0 && (count < 0 || occurrences < count); j = s.indexOf(old, j + old.length())) {
            occurrences++;
        }
        in.checkLength(s.length() + (long) occurrences * (replacement.length() - old.length()));
        StringBuilder sb = new StringBuilder();
        int i = 0, done = 0;
        while (count < 0 || done < count) {
            int j = s.indexOf(old, i);
            if (j < 0) break;
            sb.append(s, i, j).append(replacement);
            i = j + old.length();
            done++;
        }
        return sb.append(s, i, s.length()).toString();
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }

    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    private static boolean isCased(int cp) {
        return Character.isUpperCase(cp) || Character.isLowerCase(cp) || Character.isTitleCase(cp);
    }

    /** Python's {@code str.title()}: a cased letter after an uncased character starts a word. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (previousCased) sb.append(lower(Character.toString(cp)));
            else sb.append(titleCase(cp));
            previousCased = isCased(cp);
        }
        return sb.toString();
    }

    private static String titleCase(int cp) {
        int t = Character.toTitleCase(cp);
        if (t != cp || !Character.isLowerCase(cp)) return Character.toString(t);
        return upper(Character.toString(cp));
    }

    /** Python's {@code str.capitalize()}: first character title-cased, the rest lower-cased. */
    static String capitalize(String s) {
        if (s.isEmpty()) return s;
        int cp = s.codePointAt(0);
        return titleCase(cp) + lower(s.substring(Character.charCount(cp)));
    }

    /** Jinja's {@code title} filter: words start after whitespace, '-', '(', '{', '[' or '<'. */
    static String jinjaTitle(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean wordStart = true;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            boolean separator = isSpace(cp) || cp == '-' || cp == '(' || cp == '{' || cp == '[' || cp == '<';
            if (separator) {
                sb.appendCodePoint(cp);
                wordStart = true;
            } else if (wordStart) {
                sb.append(upper(Character.toString(cp)));
                wordStart = false;
            } else {
                sb.append(lower(Character.toString(cp)));
            }
        }
        return sb.toString();
    }

    static String pad(Interpreter in, String s, int width, String fill, char align) {
        int len = Py.length(s);
        if (width <= len) return s;
        in.checkLength((long) width * fill.length());
        int total = width - len;
        int left = switch (align) {
            case '<' -> 0;
            case '>' -> total;
            // Python's str.center puts the extra character on the right unless both lengths are odd
            default -> total / 2 + ((total & width & 1));
        };
        return fill.repeat(left) + s + fill.repeat(total - left);
    }

    static boolean isDigit(String s) {
        return !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
    }

    static boolean isAlpha(String s) {
        return !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
    }

    static boolean isAlnum(String s) {
        return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
    }

    static boolean isSpaceString(String s) {
        return !s.isEmpty() && s.codePoints().allMatch(PyStr::isSpace);
    }

    static boolean isUpper(String s) {
        boolean cased = false;
        for (int cp : s.codePoints().toArray()) {
            if (Character.isLowerCase(cp) || Character.isTitleCase(cp)) return false;
            if (Character.isUpperCase(cp)) cased = true;
        }
        return cased;
    }

    static boolean isLower(String s) {
        boolean cased = false;
        for (int cp : s.codePoints().toArray()) {
            if (Character.isUpperCase(cp) || Character.isTitleCase(cp)) return false;
            if (Character.isLowerCase(cp)) cased = true;
        }
        return cased;
    }

    /** Python's {@code str.find(sub, start, end)} in code points. */
    static int find(String s, String sub, Integer start, Integer end, boolean last) {
        int[] cps = Py.codePoints(s);
        int n = cps.length;
        int lo = start == null ? 0 : clamp(start, n);
        int hi = end == null ? n : clamp(end, n);
        if (hi < lo) return -1;
        String region = Py.fromCodePoints(cps, lo, hi);
        int idx = last ? region.lastIndexOf(sub) : region.indexOf(sub);
        if (idx < 0) return -1;
        return lo + region.codePointCount(0, idx);
    }

    static int clamp(int idx, int n) {
        if (idx < 0) idx = Math.max(0, idx + n);
        return Math.min(idx, n);
    }

    static int count(String s, String sub) {
        if (sub.isEmpty()) return Py.length(s) + 1;
        int c = 0;
        for (int j = s.indexOf(sub); j >= 0; j = s.indexOf(sub, j + sub.length())) c++;
        return c;
    }

    /** markupsafe's {@code escape}: the five HTML-special characters. */
    static String escapeHtml(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&#34;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
