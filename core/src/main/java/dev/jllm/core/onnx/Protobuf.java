package dev.jllm.core.onnx;

import dev.jllm.core.JllmException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/** A cursor over protobuf wire-format bytes of one message; every malformed length names the file. */
final class Protobuf {
    static final int VARINT = 0, I64 = 1, LEN = 2, I32 = 5;

    private final String source;
    private final MemorySegment data;
    private long pos;
    private final long end;
    private int tag;

    Protobuf(String source, MemorySegment data, long start, long end) {
        this.source = source;
        this.data = data;
        this.pos = start;
        this.end = end;
    }

    /** Advances to the next field; false at the end of the message. */
    boolean next() {
        if (pos >= end) return false;
        long t = varint();
        if (t > Integer.MAX_VALUE || (t >>> 3) == 0) throw bad("invalid field tag " + t);
        tag = (int) t;
        return true;
    }

    int field() {
        return tag >>> 3;
    }

    int wireType() {
        return tag & 7;
    }

    long varint() {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) throw bad("truncated varint");
            byte b = data.get(ValueLayout.JAVA_BYTE, pos++);
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) return result;
        }
        throw bad("varint longer than 10 bytes");
    }

    /** The byte range {@code [start, end)} of a length-delimited field's payload; the cursor moves past it. */
    long[] lengthDelimited() {
        if (wireType() != LEN) throw bad("field " + field() + " has wire type " + wireType() + ", expected length-delimited");
        long len = varint();
        if (len < 0 || len > end - pos) throw bad("field " + field() + " length " + len + " runs past the end of its message");
        long start = pos;
        pos += len;
        return new long[]{start, pos};
    }

    Protobuf message() {
        long[] r = lengthDelimited();
        return new Protobuf(source, data, r[0], r[1]);
    }

    String string() {
        long[] r = lengthDelimited();
        byte[] bytes = data.asSlice(r[0], r[1] - r[0]).toArray(ValueLayout.JAVA_BYTE);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    MemorySegment bytes() {
        long[] r = lengthDelimited();
        return data.asSlice(r[0], r[1] - r[0]);
    }

    /** A repeated int64 field, packed or not, appended to {@code out}. */
    void int64s(java.util.List<Long> out) {
        if (wireType() == VARINT) {
            out.add(varint());
        } else {
            long[] r = lengthDelimited();
            Protobuf p = new Protobuf(source, data, r[0], r[1]);
            while (p.pos < p.end) out.add(p.varint());
        }
    }

    /** A little-endian fixed32 field's bits. */
    int fixed32() {
        if (4 > end - pos) throw bad("truncated fixed32 field");
        int v = data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), pos);
        pos += 4;
        return v;
    }

    void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case I64 -> advance(8);
            case LEN -> lengthDelimited();
            case I32 -> advance(4);
            default -> throw bad("unsupported wire type " + wireType() + " in field " + field());
        }
    }

    private void advance(long n) {
        if (n > end - pos) throw bad("truncated fixed-size field");
        pos += n;
    }

    JllmException bad(String why) {
        return new JllmException(source + ": malformed protobuf at byte " + pos + ": " + why);
    }
}
