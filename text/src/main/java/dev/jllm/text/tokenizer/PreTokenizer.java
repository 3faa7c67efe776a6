package dev.jllm.text.tokenizer;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code pre_tokenizer} stage: cuts a segment into the words the model encodes one by one. A pre-tokenizer
 * may first rewrite the segment ({@link #transform}: Metaspace's "▁", ByteLevel's prefix space), then
 * {@link #split} appends the [start, end) spans of the pieces of one span.
 */
sealed interface PreTokenizer {

    /** Rewrites a segment before splitting; {@code first} is true for the segment at the start of the input. */
    default NormalizedText transform(NormalizedText segment, boolean first) {
        return segment;
    }

    /** True when {@link #transform} may change the text. */
    default boolean transforms() {
        return false;
    }

    /** Appends to {@code out} the spans (start, end pairs) that [from, to) of {@code text} splits into. */
    void split(String text, int from, int to, IntList out);

    /** True when the model must see the UTF-8 bytes as GPT-2 byte-level characters. */
    default boolean byteLevel() {
        return false;
    }

    enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    /** Finds the matches of a split pattern within a range. */
    interface MatchFinder {
        /** Appends (start, end) of each non-overlapping match in [from, to), as a regex with region bounds would. */
        void find(String text, int from, int to, IntList matches);
    }

    record RegexFinder(Pattern pattern) implements MatchFinder {
        @Override
        public void find(String text, int from, int to, IntList matches) {
            Matcher m = pattern.matcher(text);
            m.region(from, to);
            while (m.find()) {
                if (m.end() > m.start()) matches.add(m.start(), m.end());
            }
        }
    }

    /**
     * Cuts [from, to) around the matches with HF's delimiter behaviours; empty pieces are dropped.
     * Reproduces {@code NormalizedString::split} of the Rust library.
     */
    static void splitWith(MatchFinder finder, Behavior behavior, boolean invert, String text, int from, int to, IntList out) {
        IntList matches = new IntList();
        finder.find(text, from, to, matches);
        if (behavior == Behavior.ISOLATED && !invert) {
            // the common case (every byte-level model): matches and the gaps between them, in order
            int prev = from;
            for (int k = 0; k < matches.size; k += 2) {
                int s = matches.get(k), e = matches.get(k + 1);
                if (s != prev) out.add(prev, s);
                out.add(s, e);
                prev = e;
            }
            if (prev != to) out.add(prev, to);
            return;
        }
        // pieces: start, end, isMatch
        IntList pieces = new IntList(matches.size * 2 + 6);
        int prev = from;
        for (int k = 0; k < matches.size; k += 2) {
            int s = matches.get(k), e = matches.get(k + 1);
            if (s != prev) pieces.add(prev, s);
            if (s != prev) pieces.add(invert ? 1 : 0);
            pieces.add(s, e);
            pieces.add(invert ? 0 : 1);
            prev = e;
        }
        if (prev != to) {
            pieces.add(prev, to);
            pieces.add(invert ? 1 : 0);
        }
        int n = pieces.size / 3;
        switch (behavior) {
            case ISOLATED -> {
                for (int k = 0; k < n; k++) out.add(pieces.get(3 * k), pieces.get(3 * k + 1));
            }
            case REMOVED -> {
                for (int k = 0; k < n; k++) if (pieces.get(3 * k + 2) == 0) out.add(pieces.get(3 * k), pieces.get(3 * k + 1));
            }
            case MERGED_WITH_PREVIOUS -> {
                int base = out.size;
                boolean previousMatch = false;
                for (int k = 0; k < n; k++) {
                    boolean isMatch = pieces.get(3 * k + 2) == 1;
                    if (isMatch && !previousMatch && out.size > base) out.data[out.size - 1] = pieces.get(3 * k + 1);
                    else out.add(pieces.get(3 * k), pieces.get(3 * k + 1));
                    previousMatch = isMatch;
                }
            }
            case MERGED_WITH_NEXT -> {
                IntList rev = new IntList();
                boolean previousMatch = false;
                for (int k = n - 1; k >= 0; k--) {
                    boolean isMatch = pieces.get(3 * k + 2) == 1;
                    if (isMatch && !previousMatch && rev.size > 0) rev.data[rev.size - 2] = pieces.get(3 * k);
                    else rev.add(pieces.get(3 * k), pieces.get(3 * k + 1));
                    previousMatch = isMatch;
                }
                for (int k = rev.size - 2; k >= 0; k -= 2) out.add(rev.get(k), rev.get(k + 1));
            }
            case CONTIGUOUS -> {
                int base = out.size;
                boolean previousMatch = false;
                for (int k = 0; k < n; k++) {
                    boolean isMatch = pieces.get(3 * k + 2) == 1;
                    if (isMatch == previousMatch && out.size > base) out.data[out.size - 1] = pieces.get(3 * k + 1);
                    else out.add(pieces.get(3 * k), pieces.get(3 * k + 1));
                    previousMatch = isMatch;
                }
            }
        }
    }

    record Split(MatchFinder finder, Behavior behavior, boolean invert) implements PreTokenizer {
        @Override
        public void split(String text, int from, int to, IntList out) {
            splitWith(finder, behavior, invert, text, from, to, out);
        }
    }

    /** GPT-2 byte-level: optional prefix space, optional GPT-2 regex split, then bytes as characters. */
    record ByteLevel(boolean addPrefixSpace, MatchFinder gpt2Finder) implements PreTokenizer {
        static final String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

        @Override
        public NormalizedText transform(NormalizedText segment, boolean first) {
            if (!addPrefixSpace || segment.text.startsWith(" ")) return segment;
            return new Normalizer.Prepend(" ").apply(segment);
        }

        @Override
        public boolean transforms() {
            return addPrefixSpace;
        }

        @Override
        public void split(String text, int from, int to, IntList out) {
            if (gpt2Finder == null) out.add(from, to);
            else splitWith(gpt2Finder, Behavior.ISOLATED, false, text, from, to, out);
        }

        @Override
        public boolean byteLevel() {
            return true;
        }
    }

    enum PrependScheme { ALWAYS, FIRST, NEVER }

    /** SentencePiece-style: spaces become {@code replacement}, optionally prepended, optionally split before each. */
    record Metaspace(char replacement, PrependScheme prependScheme, boolean splitWords) implements PreTokenizer {
        @Override
        public NormalizedText transform(NormalizedText segment, boolean first) {
            NormalizedText t = segment;
            if (segment.text.indexOf(' ') >= 0) {
                NormalizedText.Builder b = segment.builder();
                String s = segment.text;
                for (int i = 0; i < s.length(); i++) b.append(s.charAt(i) == ' ' ? replacement : s.charAt(i), i, i + 1);
                t = b.build();
            }
            boolean prepend = switch (prependScheme) {
                case ALWAYS -> true;
                case FIRST -> first;
                case NEVER -> false;
            };
            if (prepend && !t.text.isEmpty() && t.text.charAt(0) != replacement) {
                t = new Normalizer.Prepend(String.valueOf(replacement)).apply(t);
            }
            return t;
        }

        @Override
        public boolean transforms() {
            return true;
        }

        @Override
        public void split(String text, int from, int to, IntList out) {
            if (!splitWords) {
                out.add(from, to);
                return;
            }
            char r = replacement;
            splitWith((s, f, e, m) -> {
                for (int i = f; i < e; i++) if (s.charAt(i) == r) m.add(i, i + 1);
            }, Behavior.MERGED_WITH_NEXT, false, text, from, to, out);
        }
    }

    /** Splits on whitespace and drops it (HF {@code WhitespaceSplit}). */
    record WhitespaceSplit() implements PreTokenizer {
        @Override
        public void split(String text, int from, int to, IntList out) {
            splitWith((s, f, e, m) -> {
                for (int i = f; i < e; i++) if (Chars.isWhitespace(s.charAt(i))) m.add(i, i + 1);
            }, Behavior.REMOVED, false, text, from, to, out);
        }
    }

    /** HF {@code Whitespace}: keeps the matches of {@code \w+|[^\w\s]+} (Rust regex, Unicode classes). */
    record Whitespace(Pattern pattern) implements PreTokenizer {
        static Whitespace create() {
            return new Whitespace(Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS));
        }

        @Override
        public void split(String text, int from, int to, IntList out) {
            splitWith(new RegexFinder(pattern), Behavior.REMOVED, true, text, from, to, out);
        }
    }

    record Digits(boolean individualDigits) implements PreTokenizer {
        @Override
        public void split(String text, int from, int to, IntList out) {
            splitWith((s, f, e, m) -> {
                for (int i = f; i < e; ) {
                    int cp = s.codePointAt(i);
                    int len = Character.charCount(cp);
                    if (Chars.isNumeric(cp)) m.add(i, i + len);
                    i += len;
                }
            }, individualDigits ? Behavior.ISOLATED : Behavior.CONTIGUOUS, false, text, from, to, out);
        }
    }

    record Punctuation(Behavior behavior) implements PreTokenizer {
        @Override
        public void split(String text, int from, int to, IntList out) {
            splitWith((s, f, e, m) -> {
                for (int i = f; i < e; ) {
                    int cp = s.codePointAt(i);
                    int len = Character.charCount(cp);
                    if (Chars.isPunctuation(cp)) m.add(i, i + len);
                    i += len;
                }
            }, behavior, false, text, from, to, out);
        }
    }

    /** Applies each pre-tokenizer to every piece the previous ones produced. */
    record Sequence(List<PreTokenizer> steps) implements PreTokenizer {
        @Override
        public NormalizedText transform(NormalizedText segment, boolean first) {
            return steps.isEmpty() ? segment : steps.getFirst().transform(segment, first);
        }

        @Override
        public boolean transforms() {
            return !steps.isEmpty() && steps.getFirst().transforms();
        }

        @Override
        public void split(String text, int from, int to, IntList out) {
            IntList current = new IntList();
            current.add(from, to);
            for (PreTokenizer step : steps) {
                IntList next = new IntList(current.size * 2);
                for (int k = 0; k < current.size; k += 2) step.split(text, current.get(k), current.get(k + 1), next);
                current = next;
            }
            for (int k = 0; k < current.size; k++) out.add(current.get(k));
        }

        @Override
        public boolean byteLevel() {
            return steps.stream().anyMatch(PreTokenizer::byteLevel);
        }
    }
}
