package dev.jllm.core.safetensors;

import dev.jllm.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsStreamedWriteTest {
    @TempDir
    Path dir;

    @Test
    void streamedTensorsGiveTheSameFileAsHeldOnes() throws Exception {
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {-1};
        SafetensorsWriter.write(dir.resolve("held.safetensors"), List.of(SafeTensor.ofFloats("b", new long[]{1}, b),
                SafeTensor.ofFloats("a", new long[]{2, 3}, a)), Map.of("format", "pt"));
        SafetensorsWriter.writeStreamed(dir.resolve("streamed.safetensors"), List.of(
                new SafetensorsWriter.Streamed("b", DType.F32, new long[]{1}, out -> out.write(bytes(b))),
                new SafetensorsWriter.Streamed("a", DType.F32, new long[]{2, 3}, out -> {
                    byte[] all = bytes(a);
                    out.write(all, 0, 5);          // any pieces
                    out.write(all, 5, all.length - 5);
                })), Map.of("format", "pt"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("held.safetensors")), Files.readAllBytes(dir.resolve("streamed.safetensors")));
    }

    @Test
    void aProducerWritingTheWrongByteCountLeavesNoFile() {
        var e = assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.writeStreamed(dir.resolve("bad.safetensors"),
                List.of(new SafetensorsWriter.Streamed("w", DType.F32, new long[]{4}, out -> out.write(new byte[12]))), Map.of()));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("12 bytes"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("bad.safetensors")));
        assertFalse(Files.exists(dir.resolve("bad.safetensors.tmp")));
    }

    private static byte[] bytes(float[] v) {
        var bb = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float x : v) bb.putFloat(x);
        return bb.array();
    }
}
