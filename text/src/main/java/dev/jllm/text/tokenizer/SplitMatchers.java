package dev.jllm.text.tokenizer;

import java.util.regex.Pattern;

/**
 * Match finders for Split pre-tokenizers. The split regexes of GPT-2, Llama 3 and Qwen 2/3 are matched by
 * hand-written scanners (the regex engine is the slowest part of encoding otherwise); they are verified equal to
 * the translated regex on every fixture text and on random strings (see the tests). Other patterns use
 * java.util.regex.
 */
final class SplitMatchers {
    private SplitMatchers() {}

    static final String LLAMA3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    static final String QWEN2 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    static PreTokenizer.MatchFinder gpt2() {
        return new Gpt2Scanner();
    }

    static PreTokenizer.MatchFinder forPattern(String source, Pattern compiled) {
        if (LLAMA3.equals(source)) return new Llama3Scanner(3);
        if (QWEN2.equals(source)) return new Llama3Scanner(1);
        if (PreTokenizer.ByteLevel.GPT2_PATTERN.equals(source)) return new Gpt2Scanner();
        return new PreTokenizer.RegexFinder(compiled);
    }

    // ------------------------------------------------------------ character classes (as the translated regex sees them)

    private static final byte LETTER = 1, NUMBER = 2, SPACE = 3, OTHER = 0, NEWLINE = 4;
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            if (Character.isLetter(c)) ASCII[c] = LETTER;
            else if (c >= '0' && c <= '9') ASCII[c] = NUMBER;
            else if (c == '\r' || c == '\n') ASCII[c] = NEWLINE;
            else if (Chars.isWhitespace(c)) ASCII[c] = SPACE;
            else ASCII[c] = OTHER;
        }
    }

    /** LETTER (\p{L}), NUMBER (\p{N}), NEWLINE (\r or \n), SPACE (other \s) or OTHER. */
    static byte classOf(int cp) {
        if (cp < 128) return ASCII[cp];
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> Chars.isWhitespace(cp) ? SPACE : OTHER;
        };
    }

    private static boolean isSpace(byte cls) {
        return cls == SPACE || cls == NEWLINE;
    }

    /** Length of the contraction ('s 't 're 've 'm 'll 'd) at i, or 0; case-insensitive when asked (Unicode folding: ſ is s). */
    static int contraction(String s, int i, int to, boolean ignoreCase) {
        if (s.charAt(i) != '\'' || i + 1 >= to) return 0;
        char a = s.charAt(i + 1);
        if (ignoreCase) a = fold(a);
        switch (a) {
            case 's', 't', 'm', 'd' -> {
                return 2;
            }
            case 'r', 'v' -> {
                if (i + 2 < to && (ignoreCase ? fold(s.charAt(i + 2)) : s.charAt(i + 2)) == 'e') return 3;
                return 0;
            }
            case 'l' -> {
                if (i + 2 < to && (ignoreCase ? fold(s.charAt(i + 2)) : s.charAt(i + 2)) == 'l') return 3;
                return 0;
            }
            default -> {
                return 0;
            }
        }
    }

    private static char fold(char c) {
        if (c >= 'A' && c <= 'Z') return (char) (c + 32);
        if (c == '\u017F') return 's'; // LATIN SMALL LETTER LONG S folds to s
        return c;
    }

    /** End of the run of whitespace starting at i. */
    private static int spaceRunEnd(String s, int i, int to) {
        int j = i;
        while (j < to) {
            char c = s.charAt(j);
            if (c < 128 ? !isSpace(ASCII[c]) : !Chars.isWhitespace(c)) break;
            j++;
        }
        return j;
    }

    /** The whitespace alternatives shared by all three patterns: \s+(?!\S) | \s+ (with \s*[\r\n]+ first when asked). */
    private static int whitespaceMatch(String s, int i, int to, boolean newlineAlternative) {
        int j = spaceRunEnd(s, i, to);
        if (newlineAlternative) {
            for (int k = j - 1; k >= i; k--) {
                char c = s.charAt(k);
                if (c == '\r' || c == '\n') return k + 1;
            }
        }
        if (j == to) return j;           // \s+(?!\S) at the end of the text
        if (j - 1 > i) return j - 1;     // \s+(?!\S): leave the last space to the next word
        return j;                        // \s+
    }

    /** Llama 3 (digits in groups of up to 3) and Qwen 2 (single digits). */
    record Llama3Scanner(int maxDigits) implements PreTokenizer.MatchFinder {
        @Override
        public void find(String s, int from, int to, IntList out) {
            int i = from;
            while (i < to) {
                int end = matchAt(s, i, to);
                out.add(i, end);
                i = end;
            }
        }

        private int matchAt(String s, int i, int to) {
            int n = contraction(s, i, to, true);
            if (n > 0) return i + n;
            int cp = s.codePointAt(i);
            int len = Character.charCount(cp);
            byte cls = classOf(cp);
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if (cls == LETTER) return letters(s, i + len, to);
            if (cls != NEWLINE && cls != NUMBER && i + len < to && classOf(s.codePointAt(i + len)) == LETTER) {
                return letters(s, i + len, to);
            }
            // \p{N}{1,3}
            if (cls == NUMBER) {
                int j = i + len;
                for (int k = 1; k < maxDigits && j < to; k++) {
                    int c = s.codePointAt(j);
                    if (classOf(c) != NUMBER) break;
                    j += Character.charCount(c);
                }
                return j;
            }
            // ' '?[^\s\p{L}\p{N}]+[\r\n]*
            int start = i;
            if (cp == ' ' && i + 1 < to) {
                int next = s.codePointAt(i + 1);
                if (classOf(next) == OTHER) start = i + 1;
            }
            if (classOf(s.codePointAt(start)) == OTHER) {
                int j = start;
                while (j < to) {
                    int c = s.codePointAt(j);
                    if (classOf(c) != OTHER) break;
                    j += Character.charCount(c);
                }
                while (j < to && (s.charAt(j) == '\r' || s.charAt(j) == '\n')) j++;
                return j;
            }
            // \s*[\r\n]+ | \s+(?!\S) | \s+
            return whitespaceMatch(s, i, to, true);
        }

        private static int letters(String s, int j, int to) {
            while (j < to) {
                char ch = s.charAt(j);
                if (ch < 128) {
                    if (ASCII[ch] != LETTER) break;
                    j++;
                    continue;
                }
                int c = s.codePointAt(j);
                if (classOf(c) != LETTER) break;
                j += Character.charCount(c);
            }
            return j;
        }
    }

    /** GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
    record Gpt2Scanner() implements PreTokenizer.MatchFinder {
        @Override
        public void find(String s, int from, int to, IntList out) {
            int i = from;
            while (i < to) {
                int end = matchAt(s, i, to);
                out.add(i, end);
                i = end;
            }
        }

        private static int matchAt(String s, int i, int to) {
            int n = contraction(s, i, to, false);
            if (n > 0) return i + n;
            int start = i;
            if (s.charAt(i) == ' ' && i + 1 < to) {
                byte next = classOf(s.codePointAt(i + 1));
                if (next == LETTER || next == NUMBER || next == OTHER) start = i + 1;
            }
            byte cls = classOf(s.codePointAt(start));
            if (cls == LETTER || cls == NUMBER || cls == OTHER) {
                int j = start;
                while (j < to) {
                    int c = s.codePointAt(j);
                    if (classOf(c) != cls) break;
                    j += Character.charCount(c);
                }
                return j;
            }
            return whitespaceMatch(s, i, to, false);
        }
    }
}
