package dev.jllm.core.safetensors;

import dev.jllm.core.JllmException;
import dev.jllm.core.tensor.DType;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsFileTest {
    @TempDir
    Path tmp;

    @Test
    void roundTrip() {
        Path p = tmp.resolve("t.safetensors");
        SafetensorsWriter.write(p, List.of(
                SafeTensor.ofFloats("b", new long[] {2, 2}, new float[] {1, 2, 3, 4}),
                SafeTensor.ofFloats("a", new long[] {3}, new float[] {-1, 0.5f, 7})), Map.of("format", "pt"));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals("pt", f.metadata().get("format"));
            assertEquals(List.of("a", "b"), f.tensors().stream().map(SafeTensor::name).toList());
            assertArrayEquals(new float[] {1, 2, 3, 4}, f.tensor("b").toFloatArray());
            assertArrayEquals(new float[] {-1, 0.5f, 7}, f.tensor("a").toFloatArray());
        }
    }

    @Test
    void locationsPointAtEachTensorsBytesInItsFile() throws Exception {
        Path p = tmp.resolve("t.safetensors");
        SafetensorsWriter.write(p, List.of(
                SafeTensor.ofFloats("b", new long[] {2, 2}, new float[] {1, 2, 3, 4}),
                SafeTensor.ofFloats("a", new long[] {3}, new float[] {-1, 0.5f, 7})), Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(p);
        try (Checkpoint c = Checkpoint.open(p)) {
            for (String name : List.of("a", "b")) {
                Checkpoint.Location at = c.location(name);
                assertEquals(p, at.file());
                float[] values = c.tensor(name).toFloatArray();
                ByteBuffer file = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < values.length; i++) assertEquals(values[i], file.getFloat((int) at.offset() + 4 * i), name);
            }
            assertThrows(JllmException.class, () -> c.location("nope"));
        }
    }

    @Test
    void readsTheStoriesCheckpoint() {
        try (Checkpoint c = Checkpoint.open(Fixtures.resolve("models", "stories260K-hf"))) {
            SafeTensor emb = c.tensor("model.embed_tokens.weight");
            assertEquals(DType.F32, emb.dtype());
            assertArrayEquals(new long[] {512, 64}, emb.shape());
            assertThrows(JllmException.class, () -> c.tensor("nope"));
        }
    }

    @Test
    void halfPrecisionConversions() {
        assertEquals(1.0f, DType.bf16ToFloat(DType.floatToBf16(1.0f)));
        // 1 + 2^-8 lies exactly between two bf16 values: ties go to even (1.0).
        assertEquals(1.0f, DType.bf16ToFloat(DType.floatToBf16(1.00390625f)));
        assertEquals(1.0078125f, DType.bf16ToFloat(DType.floatToBf16(1.005859375f)));
        assertTrue(Float.isNaN(DType.bf16ToFloat(DType.floatToBf16(Float.NaN))));
        assertEquals(0.333251953125f, DType.f16ToFloat(DType.floatToF16(1f / 3)));
    }

    private Path withHeader(String json, int dataBytes) throws Exception {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = Files.createTempFile(tmp, "bad", ".safetensors");
        Files.write(p, b.array());
        return p;
    }

    private String failure(Path p) {
        return assertThrows(JllmException.class, () -> SafetensorsFile.open(p).close()).getMessage();
    }

    @Test
    void invalidHeadersAreNamed() throws Exception {
        assertTrue(failure(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4)).contains("outside"));
        assertTrue(failure(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)).contains("needs 12"));
        assertTrue(failure(withHeader("{\"w\":{\"dtype\":\"Q9\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8)).contains("unsupported dtype"));
        assertTrue(failure(withHeader("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12)).contains("overlap"));
        assertTrue(failure(withHeader("{not json", 0)).contains("JSON"));
        Path huge = tmp.resolve("huge.safetensors");
        Files.write(huge, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE).array());
        assertTrue(failure(huge).contains("header length"));
    }
}
