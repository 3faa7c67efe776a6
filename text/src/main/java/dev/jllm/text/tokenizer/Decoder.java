package dev.jllm.text.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** The {@code decoder} stage: turns token strings back into text. Mirrors HF's {@code decode_chain}. */
sealed interface Decoder {

    List<String> decodeChain(List<String> tokens);

    /** GPT-2 byte-level: characters back to bytes, then UTF-8 with U+FFFD for invalid sequences. */
    record ByteLevel() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            Utf8.ByteBuffer bytes = new Utf8.ByteBuffer();
            for (String t : tokens) {
                boolean allMapped = true;
                for (int i = 0; i < t.length(); i++) {
                    if (ByteLevelAlphabet.byteOf(t.charAt(i)) < 0) {
                        allMapped = false;
                        break;
                    }
                }
                if (allMapped) {
                    for (int i = 0; i < t.length(); i++) bytes.add(ByteLevelAlphabet.byteOf(t.charAt(i)));
                } else {
                    // a token with characters outside the byte alphabet (an added token) contributes its own text
                    bytes.add(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
            }
            byte[] b = bytes.bytes();
            return List.of(Utf8.decodeLossy(b, 0, b.length));
        }
    }

    /** Consecutive {@code <0xXX>} tokens become their UTF-8 text, or one U+FFFD per byte when invalid. */
    record ByteFallback() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            Utf8.ByteBuffer pending = new Utf8.ByteBuffer();
            for (String t : tokens) {
                int b = parseByteToken(t);
                if (b >= 0) {
                    pending.add(b);
                    continue;
                }
                flush(pending, out);
                out.add(t);
            }
            flush(pending, out);
            return out;
        }

        private static void flush(Utf8.ByteBuffer pending, List<String> out) {
            if (pending.size() == 0) return;
            byte[] b = pending.bytes();
            String s = Utf8.decodeLossy(b, 0, b.length);
            if (!Utf8.isValid(b, 0, b.length)) {
                for (int i = 0; i < b.length; i++) out.add("\uFFFD");
            } else {
                out.add(s);
            }
            pending.reset();
        }

        static int parseByteToken(String t) {
            if (t.length() != 6 || !t.startsWith("<0x") || t.charAt(5) != '>') return -1;
            int hi = Character.digit(t.charAt(3), 16), lo = Character.digit(t.charAt(4), 16);
            return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
        }
    }

    record Fuse() implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            return List.of(String.join("", tokens));
        }
    }

    /** Removes up to {@code start} leading and {@code stop} trailing {@code content} characters of each token. */
    record Strip(int content, int start, int stop) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) {
                int[] cps = t.codePoints().toArray();
                int from = 0;
                for (int i = 0; i < Math.min(start, cps.length); i++) {
                    if (cps[i] == content) from = i + 1;
                    else break;
                }
                int to = cps.length;
                for (int i = 0; i < stop; i++) {
                    int index = cps.length - i - 1;
                    if (index < 0) break;
                    if (cps[index] == content) to = index;
                    else break;
                }
                out.add(from >= to ? "" : new String(cps, from, to - from));
            }
            return out;
        }
    }

    record Replace(Pattern pattern, String literal, String content) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (String t : tokens) out.add(literal != null ? t.replace(literal, content) : pattern.matcher(t).replaceAll(java.util.regex.Matcher.quoteReplacement(content)));
            return out;
        }
    }

    /**
     * SentencePiece-style {@code Metaspace}: "▁" becomes a space; when a prefix is prepended at encoding, every
     * "▁" of the first token is dropped (as the Rust implementation does, not only the leading one).
     */
    record Metaspace(char replacement, boolean prepended) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> out = new ArrayList<>(tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                String t = tokens.get(i);
                StringBuilder sb = new StringBuilder(t.length());
                for (int k = 0; k < t.length(); k++) {
                    char c = t.charAt(k);
                    if (c == replacement) {
                        if (!(i == 0 && prepended)) sb.append(' ');
                    } else {
                        sb.append(c);
                    }
                }
                out.add(sb.toString());
            }
            return out;
        }
    }

    record Sequence(List<Decoder> decoders) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            List<String> t = tokens;
            for (Decoder d : decoders) t = d.decodeChain(t);
            return t;
        }
    }

    /**
     * SentencePiece's own decoding (tokenizer.model files; control pieces are dropped before this stage): the
     * unknown piece reads " ⁇ ", byte pieces are joined as UTF-8 (one U+FFFD per byte of an invalid run),
     * "▁" is a space, and the leading "▁" of the first piece is dropped (the dummy prefix), even when that piece is "▁" alone.
     */
    record SentencePiece(String unkPiece, boolean dummyPrefix) implements Decoder {
        @Override
        public List<String> decodeChain(List<String> tokens) {
            StringBuilder text = new StringBuilder();
            Utf8.ByteBuffer pending = new Utf8.ByteBuffer();
            boolean first = true;
            for (String t : tokens) {
                boolean atStart = first;
                first = false;
                int b = ByteFallback.parseByteToken(t);
                if (b >= 0) {
                    pending.add(b);
                    continue;
                }
                flush(pending, text);
                if (t.equals(unkPiece)) {
                    text.append(" \u2047 ");
                    continue;
                }
                String piece = t;
                if (dummyPrefix && atStart && piece.startsWith("\u2581")) piece = piece.substring(1);
                text.append(piece.replace('\u2581', ' '));
            }
            flush(pending, text);
            return List.of(text.toString());
        }

        private static void flush(Utf8.ByteBuffer pending, StringBuilder text) {
            if (pending.size() == 0) return;
            byte[] b = pending.bytes();
            if (Utf8.isValid(b, 0, b.length)) text.append(Utf8.decodeLossy(b, 0, b.length));
            else text.append("\uFFFD".repeat(b.length));
            pending.reset();
        }
    }
}
