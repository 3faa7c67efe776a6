package dev.jllm.text.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * UTF-8 conversions with the exact error behaviour of Rust, whose strings the reference tokenizers use:
 * lone surrogates in a Java string encode as U+FFFD (like {@code String::from_utf16_lossy}), and invalid byte
 * sequences decode with one U+FFFD per maximal invalid subpart (like {@code String::from_utf8_lossy}).
 */
final class Utf8 {
    private Utf8() {}

    static final char REPLACEMENT = '\uFFFD';

    /** True when the string holds an unpaired surrogate. */
    static boolean hasLoneSurrogate(CharSequence s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            }
        }
        return false;
    }

    /** Replaces each unpaired surrogate with U+FFFD; returns the string itself when it has none. */
    static String replaceLoneSurrogates(String s) {
        if (!hasLoneSurrogate(s)) return s;
        StringBuilder sb = new StringBuilder(s.length());
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                sb.append(REPLACEMENT);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** UTF-8 byte count of the code point starting at {@code s[i]} (a string free of lone surrogates). */
    static int encodedLength(int codePoint) {
        return codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
    }

    /** Decodes bytes, replacing each maximal invalid subpart with one U+FFFD, as Rust's from_utf8_lossy does. */
    static String decodeLossy(byte[] b, int from, int to) {
        StringBuilder sb = new StringBuilder(to - from);
        int i = from;
        while (i < to) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                sb.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80, hi = 0xBF;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) lo = 0xA0;
                if (b0 == 0xED) hi = 0x9F;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                cp = b0 & 0x07;
                if (b0 == 0xF0) lo = 0x90;
                if (b0 == 0xF4) hi = 0x8F;
            } else {
                sb.append(REPLACEMENT);
                i++;
                continue;
            }
            int j = i + 1;
            boolean ok = true;
            for (int k = 0; k < need; k++, j++) {
                if (j >= to) {
                    ok = false;
                    break;
                }
                int bk = b[j] & 0xFF;
                int l = k == 0 ? lo : 0x80, h = k == 0 ? hi : 0xBF;
                if (bk < l || bk > h) {
                    ok = false;
                    break;
                }
                cp = (cp << 6) | (bk & 0x3F);
            }
            if (ok) {
                sb.appendCodePoint(cp);
                i = j;
            } else {
                sb.append(REPLACEMENT);
                i = j; // the maximal valid prefix is consumed by one replacement character
            }
        }
        return sb.toString();
    }

    /** True when the bytes are valid UTF-8: lossy decoding changes exactly the invalid ones. */
    static boolean isValid(byte[] b, int from, int to) {
        byte[] back = decodeLossy(b, from, to).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return java.util.Arrays.equals(back, 0, back.length, b, from, to);
    }

    static final class ByteBuffer {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void add(int b) {
            out.write(b);
        }

        void add(byte[] bytes) {
            out.writeBytes(bytes);
        }

        int size() {
            return out.size();
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        void reset() {
            out.reset();
        }
    }
}
