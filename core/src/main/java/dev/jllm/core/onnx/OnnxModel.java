package dev.jllm.core.onnx;

import dev.jllm.core.JllmException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model file, memory-mapped: the main graph's nodes (in file order, which ONNX requires to be topological)
 * and initializers by name. Only embedded data is supported; external-data initializers are rejected by name.
 */
public final class OnnxModel implements AutoCloseable {
    private final Path file;
    private final Arena arena;
    private final List<OnnxNode> nodes = new ArrayList<>();
    private final Map<String, OnnxTensor> initializers = new LinkedHashMap<>();

    private OnnxModel(Path file, Arena arena) {
        this.file = file;
        this.arena = arena;
    }

    public static OnnxModel open(Path file) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            OnnxModel m = new OnnxModel(file, arena);
            m.parseModel(all);
            return m;
        } catch (IOException e) {
            arena.close();
            throw new JllmException(file + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private void parseModel(MemorySegment all) {
        Protobuf p = new Protobuf(file.toString(), all, 0, all.byteSize());
        boolean graph = false;
        while (p.next()) {
            if (p.field() == 7) {
                parseGraph(p.message());
                graph = true;
            } else {
                p.skip();
            }
        }
        if (!graph) throw new JllmException(file + ": not an ONNX model (no 'graph' field, ModelProto field 7)");
    }

    private void parseGraph(Protobuf g) {
        while (g.next()) {
            switch (g.field()) {
                case 1 -> nodes.add(parseNode(g.message()));
                case 5 -> {
                    OnnxTensor t = parseTensor(g.message());
                    initializers.put(t.name(), t);
                }
                default -> g.skip();
            }
        }
    }

    private OnnxNode parseNode(Protobuf n) {
        String name = "", op = "";
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        Map<String, Object> attrs = new LinkedHashMap<>();
        while (n.next()) {
            switch (n.field()) {
                case 1 -> in.add(n.string());
                case 2 -> out.add(n.string());
                case 3 -> name = n.string();
                case 4 -> op = n.string();
                case 5 -> parseAttribute(n.message(), attrs);
                default -> n.skip();
            }
        }
        return new OnnxNode(name, op, List.copyOf(in), List.copyOf(out), attrs);
    }

    /** AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8. Other kinds are not needed here. */
    private void parseAttribute(Protobuf a, Map<String, Object> attrs) {
        String name = null;
        Object value = null;
        List<Long> ints = new ArrayList<>();
        while (a.next()) {
            switch (a.field()) {
                case 1 -> name = a.string();
                case 2 -> {
                    if (a.wireType() != Protobuf.I32) throw a.bad("attribute float has wire type " + a.wireType());
                    value = Float.intBitsToFloat(a.fixed32());
                }
                case 3 -> value = a.varint();
                case 4 -> value = a.string();
                case 5 -> value = parseTensor(a.message());
                case 8 -> a.int64s(ints);
                default -> a.skip();
            }
        }
        if (name != null) attrs.put(name, value != null ? value : ints.stream().mapToLong(Long::longValue).toArray());
    }

    /** TensorProto: dims 1, data_type 2, float_data 4, int32_data 5, int64_data 7, name 8, raw_data 9, data_location 14. */
    private OnnxTensor parseTensor(Protobuf t) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        MemorySegment raw = null;
        List<Long> int64s = new ArrayList<>();
        List<Long> int32s = new ArrayList<>();
        MemorySegment floats = null;
        boolean external = false;
        while (t.next()) {
            switch (t.field()) {
                case 1 -> t.int64s(dims);
                case 2 -> type = (int) t.varint();
                case 4 -> floats = t.bytes();
                case 5 -> t.int64s(int32s);
                case 7 -> t.int64s(int64s);
                case 8 -> name = t.string();
                case 9 -> raw = t.bytes();
                case 14 -> external = t.varint() == 1;
                default -> t.skip();
            }
        }
        if (external) throw new JllmException(file + ": initializer '" + name + "' stores its data in an external file, which is not supported");
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        MemorySegment data;
        if (raw != null) {
            data = raw;
        } else if (floats != null) {
            data = floats;
        } else if (!int64s.isEmpty()) {
            data = littleEndianLongs(int64s);
        } else if (!int32s.isEmpty()) {
            ByteBuffer b = ByteBuffer.allocate(4 * int32s.size()).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : int32s) b.putInt((int) v);
            data = MemorySegment.ofArray(b.array());
        } else {
            data = MemorySegment.ofArray(new byte[0]);
        }
        return new OnnxTensor(name, type, shape, data);
    }

    private static MemorySegment littleEndianLongs(List<Long> values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.size()).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) b.putLong(v);
        return MemorySegment.ofArray(b.array());
    }

    public Path file() {
        return file;
    }

    public List<OnnxNode> nodes() {
        return nodes;
    }

    public Map<String, OnnxTensor> initializers() {
        return initializers;
    }

    public OnnxTensor initializer(String name) {
        OnnxTensor t = initializers.get(name);
        if (t == null) throw new JllmException(file + ": no initializer named '" + name + "'");
        return t;
    }

    @Override
    public void close() {
        arena.close();
    }
}
