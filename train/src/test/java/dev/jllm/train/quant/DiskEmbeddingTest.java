package dev.jllm.train.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DiskEmbeddingTest {
    @TempDir
    Path dir;

    private static final int ROWS = 17, COLS = 12;

    private static float[] values() {
        Random r = new Random(4);
        float[] v = new float[ROWS * COLS];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    private Path write(DType dtype) {
        float[] v = values();
        SafeTensor t;
        if (dtype == DType.F32) {
            t = SafeTensor.ofFloats("model.embed_tokens.weight", new long[]{ROWS, COLS}, v);
        } else {
            ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (short s : HalfLinear.of(v, ROWS, COLS, dtype).bits()) b.putShort(s);
            t = SafeTensor.ofBytes("model.embed_tokens.weight", dtype, new long[]{ROWS, COLS}, b.array());
        }
        Path file = dir.resolve(dtype + ".safetensors");
        // another tensor first, so the table does not start right after the header
        SafetensorsWriter.write(file, List.of(SafeTensor.ofFloats("a", new long[]{3}, new float[]{1, 2, 3}), t), Map.of("format", "pt"));
        return file;
    }

    @Test
    void looksUpTheRowsA16BitTableInMemoryWouldHold() {
        for (DType stored : new DType[]{DType.F32, DType.BF16, DType.F16}) {
            for (DType format : new DType[]{DType.BF16, DType.F16}) {
                if (stored != DType.F32 && stored != format) continue;
                Path file = write(stored);
                HalfLinear inMemory = HalfLinear.of(values(), ROWS, COLS, format);
                DiskEmbedding onDisk;
                try (Checkpoint c = Checkpoint.open(file)) {
                    onDisk = DiskEmbedding.of(c, "model.embed_tokens.weight", format);
                }
                int[] ids = {3, 0, 16, 3, 9};
                float[] want = new float[ids.length * COLS], got = new float[ids.length * COLS];
                inMemory.gather(want, ids);
                onDisk.gather(got, ids);
                assertArrayEquals(want, got, stored + " as " + format);
                assertArrayEquals(inMemory.dequantized(), onDisk.dequantized());
                assertThrows(IllegalArgumentException.class, () -> onDisk.gather(new float[COLS], new int[]{ROWS}));
            }
        }
    }

    @Test
    void aChangedFileIsAnErrorNotOtherWeights() throws Exception {
        Path file = write(DType.BF16);
        DiskEmbedding onDisk;
        try (Checkpoint c = Checkpoint.open(file)) {
            onDisk = DiskEmbedding.of(c, "model.embed_tokens.weight", DType.BF16);
        }
        Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5000));
        var e = assertThrows(JllmException.class, () -> onDisk.gather(new float[COLS], new int[]{1}));
        assertTrue(e.getMessage().contains("changed since it was loaded"), e.getMessage());
        Files.delete(file);
        assertThrows(JllmException.class, () -> onDisk.gather(new float[COLS], new int[]{1}));
    }
}
