package dev.jllm.core.safetensors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.tensor.DType;

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

    /** Writes a tensor's little-endian bytes to a stream, in as many pieces as the writer likes. */
    @FunctionalInterface
    public interface ByteProducer {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * A tensor whose bytes are produced while the file is written (e.g. generated or converted piece by piece), so
     * a file larger than memory can be written without holding any tensor whole.
     */
    public record Streamed(String name, DType dtype, long[] shape, ByteProducer bytes) {
        public long byteSize() {
            long n = 1;
            for (long d : shape) n = Math.multiplyExact(n, d);
            return n * dtype.byteSize();
        }
    }

    public static void write(Path file, List<SafeTensor> tensors, Map<String, String> metadata) {
        var streamed = new ArrayList<Streamed>();
        for (SafeTensor t : tensors) {
            long bytes = t.elementCount() * t.dtype().byteSize();
            if (bytes != t.data().byteSize()) throw new IllegalArgumentException("tensor '" + t.name() + "': data has " + t.data().byteSize() + " bytes, shape needs " + bytes);
            streamed.add(new Streamed(t.name(), t.dtype(), t.shape(), out -> {
                MemorySegment d = t.data();
                byte[] chunk = new byte[(int) Math.min(1 << 20, d.byteSize())];
                for (long p = 0; p < d.byteSize(); p += chunk.length) {
                    int n = (int) Math.min(chunk.length, d.byteSize() - p);
                    MemorySegment.copy(d, ValueLayout.JAVA_BYTE, p, chunk, 0, n);
                    out.write(chunk, 0, n);
                }
            }));
        }
        writeStreamed(file, streamed, metadata);
    }

    /** As {@link #write}, each tensor's bytes produced in turn (in name order) while the file is written. */
    public static void writeStreamed(Path file, List<Streamed> tensors, Map<String, String> metadata) {
        List<Streamed> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(Streamed::name));
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (int i = 0; i < sorted.size(); i++) {
            Streamed t = sorted.get(i);
            if (i > 0 && sorted.get(i - 1).name().equals(t.name())) throw new IllegalArgumentException("tensor '" + t.name() + "' given twice");
            long bytes = t.byteSize();
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
        try (CountingStream out = new CountingStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20))) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(json);
            for (int i = json.length; i < padded; i++) out.write(' ');
            for (Streamed t : sorted) {
                long before = out.count;
                t.bytes().writeTo(out);
                if (out.count - before != t.byteSize()) {
                    throw new IllegalArgumentException("tensor '" + t.name() + "': " + (out.count - before) + " bytes produced, shape needs " + t.byteSize());
                }
            }
        } catch (IOException | RuntimeException e) {
            try { Files.deleteIfExists(tmp); } catch (IOException ignored) { }
            if (e instanceof RuntimeException r) throw r;
            throw new JllmException(file + ": cannot write safetensors file: " + e.getMessage(), e);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot write safetensors file: " + e.getMessage(), e);
        }
    }

    private static final class CountingStream extends java.io.FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
