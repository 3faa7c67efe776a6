package dev.jllm.text.tokenizer;

import dev.jllm.core.JllmException;

/** A minimal protocol-buffers wire-format reader, enough for SentencePiece's ModelProto. */
final class ProtoReader {
    final byte[] buf;
    int pos;
    final int end;
    private final String where;

    ProtoReader(byte[] buf, int from, int to, String where) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
        this.where = where;
    }

    boolean more() {
        return pos < end;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw error("truncated varint");
            byte b = buf[pos++];
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw error("varint longer than 10 bytes");
    }

    int fixed32() {
        if (pos + 4 > end) throw error("truncated fixed32");
        int v = (buf[pos] & 0xFF) | (buf[pos + 1] & 0xFF) << 8 | (buf[pos + 2] & 0xFF) << 16 | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return v;
    }

    /** A length-delimited field as a sub-reader. */
    ProtoReader message(String what) {
        long len = varint();
        if (len < 0 || len > end - pos) throw error(what + ": length " + len + " runs past the end");
        ProtoReader sub = new ProtoReader(buf, pos, pos + (int) len, where + " " + what);
        pos += (int) len;
        return sub;
    }

    String string(String what) {
        ProtoReader r = message(what);
        return new String(buf, r.pos, r.end - r.pos, java.nio.charset.StandardCharsets.UTF_8);
    }

    void skip(int wireType) {
        switch (wireType) {
            case 0 -> varint();
            case 1 -> {
                if (pos + 8 > end) throw error("truncated fixed64");
                pos += 8;
            }
            case 2 -> message("field");
            case 5 -> fixed32();
            default -> throw error("unsupported wire type " + wireType);
        }
    }

    JllmException error(String what) {
        return new JllmException(where + ": corrupt protobuf at byte " + pos + ": " + what);
    }
}
