package dev.jllm.text.tokenizer;

import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The {@code normalizer} stage of a tokenizer.json pipeline. */
sealed interface Normalizer {

    NormalizedText apply(NormalizedText in);

    /** The normalized text alone, without alignment: the fast path when no offsets are requested. */
    default String normalize(String text) {
        return apply(new NormalizedText(text, 0)).text;
    }

    /** Unicode normalization (NFC, NFD, NFKC, NFKD). */
    record Unicode(java.text.Normalizer.Form form) implements Normalizer {
        @Override
        public String normalize(String text) {
            return java.text.Normalizer.isNormalized(text, form) ? text : java.text.Normalizer.normalize(text, form);
        }

        @Override
        public NormalizedText apply(NormalizedText in) {
            String t = in.text;
            if (java.text.Normalizer.isNormalized(t, form)) return in;
            // Normalize cluster by cluster (a base character and the marks after it) so each output character
            // keeps the original range of its cluster; compositions never cross such boundaries.
            NormalizedText.Builder b = in.builder();
            int i = 0, n = t.length();
            while (i < n) {
                int j = i + Character.charCount(t.codePointAt(i));
                while (j < n && isContinuation(t.codePointAt(j))) j += Character.charCount(t.codePointAt(j));
                String out = java.text.Normalizer.normalize(t.substring(i, j), form);
                b.append(out, i, j);
                i = j;
            }
            NormalizedText result = b.build();
            if (!result.text.equals(java.text.Normalizer.normalize(t, form))) {
                // a composition spanned two clusters: keep the exact text, align it coarsely to the whole input
                String exact = java.text.Normalizer.normalize(t, form);
                NormalizedText.Builder coarse = in.builder();
                coarse.append(exact, 0, n);
                return coarse.build();
            }
            return result;
        }

        private static boolean isContinuation(int cp) {
            int type = Character.getType(cp);
            return type == Character.NON_SPACING_MARK || type == Character.COMBINING_SPACING_MARK
                    || type == Character.ENCLOSING_MARK || (cp >= 0x1160 && cp <= 0x11FF);
        }
    }

    record Lowercase() implements Normalizer {
        @Override
        public NormalizedText apply(NormalizedText in) {
            String t = in.text;
            NormalizedText.Builder b = in.builder();
            for (int i = 0; i < t.length(); ) {
                int cp = t.codePointAt(i);
                int len = Character.charCount(cp);
                // per character, without context: Rust's char::to_lowercase (no final-sigma rule)
                b.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT), i, i + len);
                i += len;
            }
            return b.build();
        }
    }

    record Prepend(String prefix) implements Normalizer {
        @Override
        public String normalize(String text) {
            return text.isEmpty() ? text : prefix + text;
        }

        @Override
        public NormalizedText apply(NormalizedText in) {
            if (in.text.isEmpty()) return in;
            NormalizedText.Builder b = in.builder();
            b.append(prefix, 0, 0);
            String t = in.text;
            for (int i = 0; i < t.length(); i++) b.append(t.charAt(i), i, i + 1);
            return b.build();
        }
    }

    /** Replaces a literal string or an Oniguruma regex with {@code content}. */
    record Replace(Pattern pattern, String literal, String content) implements Normalizer {
        public Replace {
            if (pattern == null) pattern = Pattern.compile(Pattern.quote(literal));
        }

        @Override
        public String normalize(String text) {
            if (literal != null) return text.replace(literal, content);
            return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(content));
        }

        @Override
        public NormalizedText apply(NormalizedText in) {
            String t = in.text;
            if (literal != null && !t.contains(literal)) return in;
            NormalizedText.Builder b = in.builder();
            Matcher m = pattern.matcher(t);
            int last = 0;
            while (m.find()) {
                for (int i = last; i < m.start(); i++) b.append(t.charAt(i), i, i + 1);
                if (m.end() == m.start()) {
                    b.append(content, m.start(), m.start());
                } else {
                    replaceRange(b, t, m.start(), m.end());
                }
                last = m.end();
            }
            for (int i = last; i < t.length(); i++) b.append(t.charAt(i), i, i + 1);
            return b.build();
        }

        private void replaceRange(NormalizedText.Builder b, String t, int from, int to) {
            if (content.length() == to - from) {
                for (int k = 0; k < content.length(); k++) b.append(content.charAt(k), from + k, from + k + 1);
            } else {
                b.append(content, from, to);
            }
        }
    }

    record Strip(boolean left, boolean right) implements Normalizer {
        @Override
        public NormalizedText apply(NormalizedText in) {
            String t = in.text;
            int from = 0, to = t.length();
            if (left) while (from < to && Chars.isWhitespace(t.charAt(from))) from++;
            if (right) while (to > from && Chars.isWhitespace(t.charAt(to - 1))) to--;
            return from == 0 && to == t.length() ? in : in.slice(from, to);
        }
    }

    record Sequence(List<Normalizer> normalizers) implements Normalizer {
        @Override
        public String normalize(String text) {
            String t = text;
            for (Normalizer n : normalizers) t = n.normalize(t);
            return t;
        }

        @Override
        public NormalizedText apply(NormalizedText in) {
            NormalizedText t = in;
            for (Normalizer n : normalizers) t = n.apply(t);
            return t;
        }
    }

    /** SentencePiece's remove_extra_whitespaces: trims spaces at both ends and collapses runs of spaces to one. */
    record CollapseSpaces() implements Normalizer {
        @Override
        public NormalizedText apply(NormalizedText in) {
            String t = in.text;
            if (!t.startsWith(" ") && !t.endsWith(" ") && !t.contains("  ")) return in;
            NormalizedText.Builder b = in.builder();
            boolean pendingSpace = false;
            boolean any = false;
            for (int i = 0; i < t.length(); i++) {
                char c = t.charAt(i);
                if (c == ' ') {
                    pendingSpace = any;
                    continue;
                }
                if (pendingSpace) b.append(' ', i - 1, i);
                pendingSpace = false;
                any = true;
                b.append(c, i, i + 1);
            }
            return b.build();
        }
    }
}
