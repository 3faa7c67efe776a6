package dev.jllm.core.gguf;

import dev.jllm.core.JllmException;
import dev.jllm.core.memory.ModelMemory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A GGUF (v2/v3) file, memory-mapped. Metadata is decoded eagerly; tensor data stays in the mapping and is read in
 * place. Every count and length in the header is checked against the file size before anything is allocated, so a
 * hostile or truncated file fails with a {@link JllmException} instead of an out-of-memory error.
 *
 * <p>Metadata values: {@code String}; {@code Long} for every integer type (a UINT64 above {@code Long.MAX_VALUE}
 * wraps, as no real file uses one); {@code Double} for FLOAT32/FLOAT64; {@code Boolean}; arrays as {@code String[]},
 * {@code long[]}, {@code double[]}, {@code boolean[]}, or {@code Object[]} for arrays of arrays.
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" little-endian
    public static final int DEFAULT_ALIGNMENT = 32;

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    /** On-disk type of each key (and element type for arrays), so a writer can copy values without changing them. */
    private final Map<String, GgufValueType[]> types = new LinkedHashMap<>();
    private final List<GgufTensor> tensors;
    private final Map<String, GgufTensor> tensorsByName;
    private final int alignment;
    private final long dataStart;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Reader r = new Reader(file);
        if (file.byteSize() < 24) throw error("file is too small to be GGUF (" + file.byteSize() + " bytes)");
        int magic = r.i32("magic");
        if (magic != MAGIC) throw error("not a GGUF file (bad magic 0x" + Integer.toHexString(magic) + ")");
        version = r.i32("version");
        if (version != 2 && version != 3) {
            throw error("unsupported GGUF version " + version + " (expected 2 or 3)");
        }
        long tensorCount = r.i64("tensor_count");
        long kvCount = r.i64("metadata_kv_count");
        // Each KV needs at least 12 bytes and each tensor info at least 24: bound the counts by the file size.
        if (kvCount < 0 || kvCount > file.byteSize() / 12) throw error("metadata_kv_count " + kvCount + " is impossible for the file size");
        if (tensorCount < 0 || tensorCount > file.byteSize() / 24) throw error("tensor_count " + tensorCount + " is impossible for the file size");

        Map<String, Object> kv = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = r.string("metadata key #" + i);
            int typeId = r.i32("type of " + key);
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) throw error("metadata '" + key + "' has unknown value type " + typeId);
            long arrayTypePos = r.pos;
            kv.put(key, r.value(type, key, 0));
            GgufValueType elem = type == GgufValueType.ARRAY ? GgufValueType.byId(file.get(I32, arrayTypePos)) : null;
            types.put(key, new GgufValueType[] {type, elem});
        }
        metadata = Collections.unmodifiableMap(kv);
        Object align = kv.get("general.alignment");
        alignment = align instanceof Long a ? Math.toIntExact(a) : DEFAULT_ALIGNMENT;
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) throw error("general.alignment " + alignment + " is not a power of two");

        record Info(String name, GgmlType type, long[] shape, long relOffset) {}
        List<Info> infos = new ArrayList<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = r.string("tensor name #" + i);
            int nDims = r.i32("n_dims of tensor " + name);
            if (nDims < 0 || nDims > 8) throw error("tensor '" + name + "' has " + nDims + " dimensions (at most 8 allowed)");
            long[] shape = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                shape[d] = r.i64("dimension " + d + " of tensor " + name);
                if (shape[d] < 0) throw error("tensor '" + name + "' has negative dimension " + shape[d]);
            }
            int typeId = r.i32("type of tensor " + name);
            GgmlType type = GgmlType.lookup(typeId).orElseThrow(() -> error("tensor '" + name + "' has unsupported GGML type id " + typeId));
            long off = r.i64("offset of tensor " + name);
            infos.add(new Info(name, type, shape, off));
        }
        dataStart = align(r.pos, alignment);
        List<GgufTensor> list = new ArrayList<>();
        Map<String, GgufTensor> byName = new LinkedHashMap<>();
        for (Info info : infos) {
            long elements = 1;
            try {
                for (long d : info.shape) elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw error("tensor '" + info.name + "' has an element count that overflows");
            }
            if (info.shape.length > 0 && info.shape[0] % info.type.blockSize() != 0) {
                throw error("tensor '" + info.name + "': first dimension " + info.shape[0] + " is not a multiple of the "
                        + info.type + " block size " + info.type.blockSize());
            }
            long bytes = info.type.byteSize(elements);
            long start = dataStart + info.relOffset;
            if (info.relOffset < 0 || start < dataStart || start > file.byteSize() || bytes > file.byteSize() - start) {
                throw error("tensor '" + info.name + "' data [" + start + ", " + (start + bytes) + ") lies outside the file (" + file.byteSize() + " bytes)");
            }
            if (info.relOffset % alignment != 0) throw error("tensor '" + info.name + "' offset " + info.relOffset + " is not aligned to " + alignment);
            GgufTensor t = new GgufTensor(info.name, info.type, info.shape, start, file.asSlice(start, bytes));
            if (byName.put(info.name, t) != null) throw error("tensor '" + info.name + "' appears twice");
            list.add(t);
        }
        tensors = Collections.unmodifiableList(list);
        tensorsByName = Collections.unmodifiableMap(byName);
    }

    /** Opens and validates a GGUF file (memory-mapped, or read into memory: {@link ModelMemory}); valid until {@link #close()}. */
    public static GgufFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ModelMemory.load(path, ch, arena);
            return new GgufFile(path, arena, seg);
        } catch (IOException e) {
            arena.close();
            throw new JllmException(path + ": cannot read GGUF file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** Offset of the tensor data section. */
    public long dataStart() {
        return dataStart;
    }

    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The on-disk value type of a key and, for arrays, the element type (else null). */
    GgufValueType[] rawType(String key) {
        return types.get(key);
    }

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public List<GgufTensor> tensors() {
        return tensors;
    }

    public boolean hasTensor(String name) {
        return tensorsByName.containsKey(name);
    }

    public GgufTensor tensor(String name) {
        GgufTensor t = tensorsByName.get(name);
        if (t == null) throw error("tensor '" + name + "' is missing");
        return t;
    }

    public String string(String key) {
        return typed(key, String.class, "a string");
    }

    public Optional<String> optString(String key) {
        return metadata.containsKey(key) ? Optional.of(string(key)) : Optional.empty();
    }

    public long integer(String key) {
        return typed(key, Long.class, "an integer");
    }

    public OptionalLong optInteger(String key) {
        return metadata.containsKey(key) ? OptionalLong.of(integer(key)) : OptionalLong.empty();
    }

    /** A FLOAT32/FLOAT64 value; integers are accepted too, since writers differ. */
    public double real(String key) {
        Object v = require(key);
        if (v instanceof Double d) return d;
        if (v instanceof Long l) return l;
        throw error("metadata '" + key + "' should be a number but is " + describe(v));
    }

    public boolean bool(String key, boolean dflt) {
        return metadata.containsKey(key) ? typed(key, Boolean.class, "a boolean") : dflt;
    }

    public String[] strings(String key) {
        return typed(key, String[].class, "an array of strings");
    }

    public float[] floats(String key) {
        Object v = require(key);
        if (v instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            return f;
        }
        if (v instanceof long[] l) {
            float[] f = new float[l.length];
            for (int i = 0; i < l.length; i++) f[i] = l[i];
            return f;
        }
        throw error("metadata '" + key + "' should be an array of numbers but is " + describe(v));
    }

    public int[] ints(String key) {
        long[] l = typed(key, long[].class, "an array of integers");
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) out[i] = Math.toIntExact(l[i]);
        return out;
    }

    @Override
    public void close() {
        arena.close();
    }

    private Object require(String key) {
        Object v = metadata.get(key);
        if (v == null) throw error("metadata '" + key + "' is missing");
        return v;
    }

    private <T> T typed(String key, Class<T> type, String expected) {
        Object v = require(key);
        if (!type.isInstance(v)) throw error("metadata '" + key + "' should be " + expected + " but is " + describe(v));
        return type.cast(v);
    }

    private static String describe(Object v) {
        if (v instanceof Object[] || v.getClass().isArray()) return "an array";
        return v.getClass().getSimpleName().toLowerCase() + " " + v;
    }

    private JllmException error(String message) {
        return new JllmException(path + ": " + message);
    }

    static long align(long offset, int alignment) {
        return (offset + alignment - 1) / alignment * alignment;
    }

    /** A bounds-checked little-endian cursor over the header. */
    private final class Reader {
        private final MemorySegment seg;
        long pos;

        Reader(MemorySegment seg) {
            this.seg = seg;
        }

        private void need(long n, String what) {
            if (n < 0 || pos + n > seg.byteSize() || pos + n < pos) {
                throw error("truncated header: " + what + " needs " + n + " bytes at offset " + pos + " but the file has " + seg.byteSize());
            }
        }

        int i32(String what) {
            need(4, what);
            int v = seg.get(I32, pos);
            pos += 4;
            return v;
        }

        long i64(String what) {
            need(8, what);
            long v = seg.get(I64, pos);
            pos += 8;
            return v;
        }

        String string(String what) {
            long len = i64("length of " + what);
            if (len < 0 || len > seg.byteSize() - pos) throw error(what + ": string length " + len + " runs past the end of the file");
            byte[] bytes = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPLACE)
                        .onUnmappableCharacter(CodingErrorAction.REPLACE)
                        .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            } catch (CharacterCodingException e) {
                throw error(what + ": invalid UTF-8");
            }
        }

        Object value(GgufValueType type, String key, int depth) {
            switch (type) {
                case UINT8 -> { need(1, key); return (long) (seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF); }
                case INT8 -> { need(1, key); return (long) seg.get(ValueLayout.JAVA_BYTE, pos++); }
                case UINT16 -> { need(2, key); long v = seg.get(I16, pos) & 0xFFFF; pos += 2; return v; }
                case INT16 -> { need(2, key); long v = seg.get(I16, pos); pos += 2; return v; }
                case UINT32 -> { return i32(key) & 0xFFFFFFFFL; }
                case INT32 -> { return (long) i32(key); }
                case FLOAT32 -> { need(4, key); double v = seg.get(F32, pos); pos += 4; return v; }
                case BOOL -> {
                    need(1, key);
                    byte b = seg.get(ValueLayout.JAVA_BYTE, pos++);
                    if (b != 0 && b != 1) throw error("metadata '" + key + "': bool value " + b + " is neither 0 nor 1");
                    return b == 1;
                }
                case STRING -> { return string("metadata '" + key + "'"); }
                case UINT64, INT64 -> { return i64(key); }
                case FLOAT64 -> { need(8, key); double v = seg.get(F64, pos); pos += 8; return v; }
                case ARRAY -> { return array(key, depth); }
            }
            throw new AssertionError(type);
        }

        private Object array(String key, int depth) {
            if (depth > 4) throw error("metadata '" + key + "': arrays nested deeper than 4 levels");
            int typeId = i32("element type of " + key);
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) throw error("metadata '" + key + "': unknown array element type " + typeId);
            long count = i64("length of " + key);
            // Every element takes at least one byte: a count beyond the remaining bytes cannot be genuine.
            if (count < 0 || count > seg.byteSize() - pos) throw error("metadata '" + key + "': array length " + count + " runs past the end of the file");
            int n = (int) count;
            return switch (type) {
                case STRING -> {
                    String[] out = new String[n];
                    for (int i = 0; i < n; i++) out[i] = string("metadata '" + key + "'[" + i + "]");
                    yield out;
                }
                case FLOAT32, FLOAT64 -> {
                    double[] out = new double[n];
                    for (int i = 0; i < n; i++) out[i] = (Double) value(type, key, depth + 1);
                    yield out;
                }
                case BOOL -> {
                    boolean[] out = new boolean[n];
                    for (int i = 0; i < n; i++) out[i] = (Boolean) value(type, key, depth + 1);
                    yield out;
                }
                case ARRAY -> {
                    Object[] out = new Object[n];
                    for (int i = 0; i < n; i++) out[i] = array(key, depth + 1);
                    yield out;
                }
                default -> {
                    long[] out = new long[n];
                    for (int i = 0; i < n; i++) out[i] = (Long) value(type, key, depth + 1);
                    yield out;
                }
            };
        }
    }
}
