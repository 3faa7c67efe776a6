package dev.jllm.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files the way the reference library does: tensors sorted by name with contiguous offsets, the
 * JSON header padded with spaces to a multiple of 8. Written to a temporary sibling, then renamed.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static void write(Path file, List<SafeTensor> tensors, Map<String, String> metadata) {
        List<SafeTensor> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(SafeTensor::name));
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (int i = 0; i < sorted.size(); i++) {
            SafeTensor t = sorted.get(i);
            if (i > 0 && sorted.get(i - 1).name().equals(t.name())) throw new IllegalArgumentException("tensor '" + t.name() + "' given twice");
            long bytes = t.elementCount() * t.dtype().byteSize();
            if (bytes != t.data().byteSize()) throw new IllegalArgumentException("tensor '" + t.name() + "': data has " + t.data().byteSize() + " bytes, shape needs " + bytes);
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.dtype().safetensorsName());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) shape.add(d);
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot encode header: " + e.getMessage(), e);
        }
        int padded = (json.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(json);
            for (int i = json.length; i < padded; i++) out.write(' ');
            byte[] chunk = new byte[1 << 20];
            for (SafeTensor t : sorted) {
                MemorySegment d = t.data();
                for (long p = 0; p < d.byteSize(); p += chunk.length) {
                    int n = (int) Math.min(chunk.length, d.byteSize() - p);
                    MemorySegment.copy(d, ValueLayout.JAVA_BYTE, p, chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            }
        } catch (IOException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
            throw new JllmException(file + ": cannot write safetensors file: " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot write safetensors file: " + e.getMessage(), e);
        }
    }
}
