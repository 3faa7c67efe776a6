package dev.jllm.text.tokenizer;

import java.util.Arrays;

/**
 * A piece of text after normalization, with each character's range in the original input (UTF-16 offsets), so
 * that tokens can report offsets into what the user passed in. {@code starts == null} means the identity
 * alignment: character i comes from original character {@code base + i}.
 */
final class NormalizedText {
    final String text;
    final int base;
    private final int[] starts;
    private final int[] ends;

    NormalizedText(String text, int base) {
        this(text, base, null, null);
    }

    private NormalizedText(String text, int base, int[] starts, int[] ends) {
        this.text = text;
        this.base = base;
        this.starts = starts;
        this.ends = ends;
    }

    int length() {
        return text.length();
    }

    /** Original start offset of normalized character i (i may equal length(): the end of the last character). */
    int originalStart(int i) {
        if (starts == null) return base + i;
        if (starts.length == 0) return base;
        return i < starts.length ? starts[i] : ends[starts.length - 1];
    }

    /** Original end offset of normalized character i - 1, i.e. where the range [.., i) ends in the original. */
    int originalEnd(int i) {
        if (starts == null) return base + i;
        if (i == 0) return starts.length == 0 ? base : starts[0];
        return ends[i - 1];
    }

    /** The original range of normalized range [from, to). */
    int originalFrom(int from, int to) {
        return from == to ? originalEnd(from) : originalStart(from);
    }

    /** The normalized sub-range [from, to) as a text of its own, keeping the alignment. */
    NormalizedText slice(int from, int to) {
        if (starts == null) return new NormalizedText(text.substring(from, to), base + from);
        return new NormalizedText(text.substring(from, to), from < to ? starts[from] : originalEnd(from),
                Arrays.copyOfRange(starts, from, to), Arrays.copyOfRange(ends, from, to));
    }

    Builder builder() {
        return new Builder(text.length() + 8);
    }

    /** Builds a new normalized text; each appended character carries the original range it comes from. */
    final class Builder {
        private final StringBuilder sb;
        private int[] s;
        private int[] e;

        Builder(int capacity) {
            sb = new StringBuilder(capacity);
            s = new int[capacity];
            e = new int[capacity];
        }

        /** Appends a char of the new text, aligned to the original range of source characters [from, to). */
        void append(char c, int from, int to) {
            int n = sb.length();
            if (n == s.length) {
                s = Arrays.copyOf(s, n * 2 + 8);
                e = Arrays.copyOf(e, n * 2 + 8);
            }
            sb.append(c);
            if (from < to) {
                s[n] = originalStart(from);
                e[n] = originalEnd(to);
            } else {
                // an inserted character (e.g. a prepended "▁") is aligned to the character next to it
                int at = Math.min(from, length() - 1);
                s[n] = at < 0 ? base : originalStart(at);
                e[n] = at < 0 ? base : originalEnd(at + 1);
            }
        }

        void append(CharSequence chars, int from, int to) {
            for (int i = 0; i < chars.length(); i++) append(chars.charAt(i), from, to);
        }

        NormalizedText build() {
            int n = sb.length();
            return new NormalizedText(sb.toString(), n == 0 ? originalStart(0) : s[0], Arrays.copyOf(s, n), Arrays.copyOf(e, n));
        }
    }
}
