package dev.jllm.core.safetensors;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.memory.ModelMemory;
import dev.jllm.core.tensor.DType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header, then the data. The
 * header is validated completely before use — bounded length, known dtypes, byte ranges inside the file that match
 * dtype × shape and do not overlap — so a hostile file fails with a {@link JllmException} naming the tensor.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Headers larger than this are refused before allocation (the reference implementation uses the same bound). */
    static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Arena arena;
    private final Map<String, String> metadata;
    private final Map<String, SafeTensor> tensors;
    private final Map<String, Long> fileOffsets;

    private SafetensorsFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        if (file.byteSize() < 8) throw error("file is too small to be safetensors (" + file.byteSize() + " bytes)");
        long headerLen = file.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen < 2 || headerLen > MAX_HEADER || headerLen > file.byteSize() - 8) {
            throw error("header length " + headerLen + " is invalid for a file of " + file.byteSize() + " bytes");
        }
        String headerText = new String(file.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        JsonNode header;
        try {
            header = JSON.readTree(headerText);
        } catch (JsonProcessingException e) {
            throw error("header is not valid JSON: " + e.getOriginalMessage());
        }
        if (header == null || !header.isObject()) throw error("header is not a JSON object");
        long dataStart = 8 + headerLen;
        long dataSize = file.byteSize() - dataStart;

        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, SafeTensor> byName = new LinkedHashMap<>();
        Map<String, Long> offsets = new LinkedHashMap<>();
        record Range(String name, long begin, long end) {}
        List<Range> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            var field = it.next();
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals("__metadata__")) {
                if (!node.isObject()) throw error("__metadata__ must be an object of strings");
                node.fields().forEachRemaining(m -> {
                    if (!m.getValue().isTextual()) throw error("__metadata__." + m.getKey() + " must be a string");
                    meta.put(m.getKey(), m.getValue().asText());
                });
                continue;
            }
            if (!node.isObject()) throw error("tensor '" + name + "': entry must be an object");
            JsonNode dtypeNode = node.get("dtype");
            if (dtypeNode == null || !dtypeNode.isTextual()) throw error("tensor '" + name + "': missing field 'dtype'");
            DType dtype = DType.fromSafetensors(dtypeNode.asText())
                    .orElseThrow(() -> error("tensor '" + name + "': unsupported dtype '" + dtypeNode.asText() + "'"));
            JsonNode shapeNode = node.get("shape");
            if (shapeNode == null || !shapeNode.isArray()) throw error("tensor '" + name + "': missing field 'shape'");
            long[] shape = new long[shapeNode.size()];
            long elements = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = shapeNode.get(i);
                if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) throw error("tensor '" + name + "': shape[" + i + "] is not a non-negative integer");
                shape[i] = d.asLong();
                try {
                    elements = Math.multiplyExact(elements, shape[i]);
                } catch (ArithmeticException e) {
                    throw error("tensor '" + name + "': shape overflows");
                }
            }
            JsonNode offs = node.get("data_offsets");
            if (offs == null || !offs.isArray() || offs.size() != 2 || !offs.get(0).isIntegralNumber() || !offs.get(1).isIntegralNumber()) {
                throw error("tensor '" + name + "': 'data_offsets' must be [begin, end]");
            }
            long begin = offs.get(0).asLong(), end = offs.get(1).asLong();
            if (begin < 0 || end < begin || end > dataSize) {
                throw error("tensor '" + name + "': data_offsets [" + begin + ", " + end + "] lie outside the data section of " + dataSize + " bytes");
            }
            long expected;
            try {
                expected = Math.multiplyExact(elements, dtype.byteSize());
            } catch (ArithmeticException e) {
                throw error("tensor '" + name + "': size overflows");
            }
            if (end - begin != expected) {
                throw error("tensor '" + name + "': " + (end - begin) + " bytes in data_offsets but " + dtype + " × " + java.util.Arrays.toString(shape) + " needs " + expected);
            }
            ranges.add(new Range(name, begin, end));
            byName.put(name, new SafeTensor(name, dtype, shape, file.asSlice(dataStart + begin, end - begin)));
            offsets.put(name, dataStart + begin);
        }
        ranges.sort(Comparator.comparingLong(Range::begin).thenComparingLong(Range::end));
        for (int i = 1; i < ranges.size(); i++) {
            Range a = ranges.get(i - 1), b = ranges.get(i);
            if (b.begin < a.end && b.end > b.begin && a.end > a.begin) {
                throw error("tensors '" + a.name + "' and '" + b.name + "' overlap");
            }
        }
        metadata = Collections.unmodifiableMap(meta);
        tensors = Collections.unmodifiableMap(byName);
        fileOffsets = Collections.unmodifiableMap(offsets);
    }

    public static SafetensorsFile open(Path path) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return new SafetensorsFile(path, arena, ModelMemory.load(path, ch, arena));
        } catch (IOException e) {
            arena.close();
            throw new JllmException(path + ": cannot read safetensors file: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** Tensors in header order. */
    public List<SafeTensor> tensors() {
        return List.copyOf(tensors.values());
    }

    public boolean has(String name) {
        return tensors.containsKey(name);
    }

    public SafeTensor tensor(String name) {
        SafeTensor t = tensors.get(name);
        if (t == null) throw error("tensor '" + name + "' is missing");
        return t;
    }

    /** Where the tensor's bytes start in the file: for reading parts of it later without mapping the file. */
    public long fileOffset(String name) {
        Long offset = fileOffsets.get(name);
        if (offset == null) throw error("tensor '" + name + "' is missing");
        return offset;
    }

    @Override
    public void close() {
        arena.close();
    }

    private JllmException error(String message) {
        return new JllmException(path + ": " + message);
    }
}
