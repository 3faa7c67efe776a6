package dev.jllm.core.gguf;

import dev.jllm.core.JllmException;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file: metadata in insertion order, then tensor infos, then the aligned tensor data. The file is
 * written to a temporary sibling and renamed, so a failure never leaves a half-written model behind.
 */
public final class GgufWriter {
    private record Entry(GgufValueType type, GgufValueType elementType, Object value) {}

    private record Tensor(String name, GgmlType type, long[] shape, MemorySegment data) {}

    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;

    public GgufWriter putString(String key, String value) { return put(key, GgufValueType.STRING, null, value); }
    public GgufWriter putUInt32(String key, long value) { return put(key, GgufValueType.UINT32, null, value); }
    public GgufWriter putInt32(String key, long value) { return put(key, GgufValueType.INT32, null, value); }
    public GgufWriter putUInt64(String key, long value) { return put(key, GgufValueType.UINT64, null, value); }
    public GgufWriter putInt64(String key, long value) { return put(key, GgufValueType.INT64, null, value); }
    public GgufWriter putFloat32(String key, double value) { return put(key, GgufValueType.FLOAT32, null, value); }
    public GgufWriter putFloat64(String key, double value) { return put(key, GgufValueType.FLOAT64, null, value); }
    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, null, value); }
    public GgufWriter putStrings(String key, String[] values) { return put(key, GgufValueType.ARRAY, GgufValueType.STRING, values); }
    public GgufWriter putFloat32s(String key, float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) d[i] = values[i];
        return put(key, GgufValueType.ARRAY, GgufValueType.FLOAT32, d);
    }
    public GgufWriter putInt32s(String key, int[] values) {
        long[] l = new long[values.length];
        for (int i = 0; i < l.length; i++) l[i] = values[i];
        return put(key, GgufValueType.ARRAY, GgufValueType.INT32, l);
    }

    /** Copies one metadata value from {@code source} with its on-disk type unchanged. */
    public GgufWriter copy(GgufFile source, String key) {
        GgufValueType[] t = source.rawType(key);
        if (t == null) throw new JllmException(source.path() + ": metadata '" + key + "' is missing");
        return put(key, t[0], t[1], source.metadata().get(key));
    }

    /** Copies every metadata value of {@code source} (alignment included). */
    public GgufWriter copyAll(GgufFile source) {
        for (String key : source.metadata().keySet()) copy(source, key);
        return this;
    }

    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1) throw new IllegalArgumentException("alignment must be a power of two: " + alignment);
        this.alignment = alignment;
        return putUInt32("general.alignment", alignment);
    }

    /** Adds a tensor; {@code shape} is in GGUF order (fastest dimension first). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment bytes) {
        long elements = 1;
        for (long d : shape) elements = Math.multiplyExact(elements, d);
        if (shape.length > 0 && shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor " + name + ": first dimension " + shape[0] + " is not a multiple of " + type.blockSize());
        }
        if (type.byteSize(elements) != bytes.byteSize()) {
            throw new IllegalArgumentException("tensor " + name + ": " + bytes.byteSize() + " bytes given, " + type.byteSize(elements) + " expected for " + type);
        }
        for (Tensor t : tensors) if (t.name.equals(name)) throw new IllegalArgumentException("tensor " + name + " added twice");
        tensors.add(new Tensor(name, type, shape.clone(), bytes));
        return this;
    }

    private GgufWriter put(String key, GgufValueType type, GgufValueType elementType, Object value) {
        if (key.equals("general.alignment") && value instanceof Long a) alignment = Math.toIntExact(a);
        metadata.put(key, new Entry(type, elementType, value));
        return this;
    }

    public void write(Path path) {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
                 OutputStream out = new java.io.BufferedOutputStream(Channels.newOutputStream(ch), 1 << 20)) {
                Sink sink = new Sink(out);
                sink.i32(GgufFile.MAGIC);
                sink.i32(3);
                sink.i64(tensors.size());
                sink.i64(metadata.size());
                for (var e : metadata.entrySet()) {
                    sink.string(e.getKey());
                    sink.i32(e.getValue().type.ordinal());
                    sink.value(e.getValue().type, e.getValue().elementType, e.getValue().value);
                }
                long offset = 0;
                List<Long> offsets = new ArrayList<>();
                for (Tensor t : tensors) {
                    sink.string(t.name);
                    sink.i32(t.shape.length);
                    for (long d : t.shape) sink.i64(d);
                    sink.i32(t.type.id());
                    offset = GgufFile.align(offset, alignment);
                    offsets.add(offset);
                    sink.i64(offset);
                    offset += t.data.byteSize();
                }
                sink.pad(alignment);
                long written = 0;
                for (int i = 0; i < tensors.size(); i++) {
                    Tensor t = tensors.get(i);
                    while (written < offsets.get(i)) { out.write(0); written++; sink.count++; }
                    byte[] chunk = new byte[1 << 20];
                    for (long p = 0; p < t.data.byteSize(); p += chunk.length) {
                        int n = (int) Math.min(chunk.length, t.data.byteSize() - p);
                        MemorySegment.copy(t.data, ValueLayout.JAVA_BYTE, p, chunk, 0, n);
                        out.write(chunk, 0, n);
                    }
                    written += t.data.byteSize();
                }
            }
            Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
            throw new JllmException(path + ": cannot write GGUF file: " + e.getMessage(), e);
        }
    }

    private static final class Sink {
        private final OutputStream out;
        private final ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        long count;

        Sink(OutputStream out) {
            this.out = out;
        }

        void i32(long v) throws IOException { buf.clear(); buf.putInt((int) v); out.write(buf.array(), 0, 4); count += 4; }
        void i64(long v) throws IOException { buf.clear(); buf.putLong(v); out.write(buf.array(), 0, 8); count += 8; }
        void byte1(int v) throws IOException { out.write(v); count++; }

        void string(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            out.write(b);
            count += b.length;
        }

        void pad(int alignment) throws IOException {
            while (count % alignment != 0) byte1(0);
        }

        void value(GgufValueType type, GgufValueType elementType, Object v) throws IOException {
            switch (type) {
                case UINT8, INT8 -> byte1((int) (long) (Long) v);
                case UINT16, INT16 -> { buf.clear(); buf.putShort((short) (long) (Long) v); out.write(buf.array(), 0, 2); count += 2; }
                case UINT32, INT32 -> i32((Long) v);
                case UINT64, INT64 -> i64((Long) v);
                case FLOAT32 -> { buf.clear(); buf.putFloat((float) (double) (Double) v); out.write(buf.array(), 0, 4); count += 4; }
                case FLOAT64 -> { buf.clear(); buf.putDouble((Double) v); out.write(buf.array(), 0, 8); count += 8; }
                case BOOL -> byte1((Boolean) v ? 1 : 0);
                case STRING -> string((String) v);
                case ARRAY -> array(elementType, v);
            }
        }

        private void array(GgufValueType elementType, Object v) throws IOException {
            i32(elementType.ordinal());
            switch (v) {
                case String[] a -> { i64(a.length); for (String s : a) string(s); }
                case long[] a -> { i64(a.length); for (long x : a) value(elementType, null, x); }
                case double[] a -> { i64(a.length); for (double x : a) value(elementType, null, x); }
                case boolean[] a -> { i64(a.length); for (boolean x : a) value(elementType, null, x); }
                case Object[] a -> {
                    // Nested arrays keep no element type of their own here; none of the models we write use them.
                    throw new IllegalArgumentException("nested GGUF arrays cannot be written");
                }
                default -> throw new IllegalArgumentException("not a GGUF array: " + v.getClass());
            }
        }
    }
}
