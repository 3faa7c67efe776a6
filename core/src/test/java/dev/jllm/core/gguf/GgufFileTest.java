package dev.jllm.core.gguf;

import dev.jllm.core.JllmException;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

class GgufFileTest {
    @TempDir
    Path tmp;

    private Path writeSample() {
        float[] w = {1f, 2f, 3f, 4f, 5f, 6f};
        MemorySegment seg = MemorySegment.ofArray(new byte[24]);
        MemorySegment.copy(w, 0, seg, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, 6);
        Path p = tmp.resolve("sample.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putUInt32("llama.block_count", 5)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f)
                .putBool("tokenizer.ggml.add_bos_token", true)
                .putStrings("tokenizer.ggml.tokens", new String[] {"<unk>", "▁a", "é"})
                .putFloat32s("tokenizer.ggml.scores", new float[] {0f, -1.5f, -2f})
                .putInt32s("tokenizer.ggml.token_type", new int[] {2, 1, 1})
                .addTensor("w", GgmlType.F32, new long[] {3, 2}, seg)
                .addTensor("v", GgmlType.F32, new long[] {2}, seg.asSlice(0, 8))
                .write(p);
        return p;
    }

    @Test
    void writesAndReadsBackEveryValue() {
        try (GgufFile f = GgufFile.open(writeSample())) {
            assertEquals(3, f.version());
            assertEquals("llama", f.string("general.architecture"));
            assertEquals(5, f.integer("llama.block_count"));
            assertEquals(1e-5f, (float) f.real("llama.attention.layer_norm_rms_epsilon"));
            assertTrue(f.bool("tokenizer.ggml.add_bos_token", false));
            assertArrayEquals(new String[] {"<unk>", "▁a", "é"}, f.strings("tokenizer.ggml.tokens"));
            assertArrayEquals(new float[] {0f, -1.5f, -2f}, f.floats("tokenizer.ggml.scores"));
            assertArrayEquals(new int[] {2, 1, 1}, f.ints("tokenizer.ggml.token_type"));
            GgufTensor w = f.tensor("w");
            assertArrayEquals(new long[] {3, 2}, w.shape());
            assertEquals(2, w.rows());
            assertEquals(6f, w.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED, 20));
            assertEquals(0, (w.offset() - f.dataStart()) % f.alignment());
            assertEquals(0, (f.tensor("v").offset() - f.dataStart()) % f.alignment());
            JllmException e = assertThrows(JllmException.class, () -> f.tensor("missing"));
            assertTrue(e.getMessage().contains("missing"));
            assertThrows(JllmException.class, () -> f.integer("general.architecture"));
        }
    }

    @Test
    void copyAllPreservesTypes() throws Exception {
        Path a = writeSample();
        Path b = tmp.resolve("copy.gguf");
        try (GgufFile f = GgufFile.open(a)) {
            GgufWriter w = new GgufWriter().copyAll(f);
            for (GgufTensor t : f.tensors()) w.addTensor(t.name(), t.type(), t.shape(), t.data());
            w.write(b);
        }
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    @Test
    void readsTheStoriesModel() {
        Path p = Fixtures.resolve("models", "stories260K", "stories260K.gguf");
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals("llama", f.string("general.architecture"));
            assertEquals(512, f.strings("tokenizer.ggml.tokens").length);
            assertEquals(GgmlType.F32, f.tensor("token_embd.weight").type());
            assertArrayEquals(new long[] {64, 512}, f.tensor("token_embd.weight").shape());
        }
    }

    @Test
    void truncatedFileNamesTheFileAndField() throws Exception {
        byte[] all = Files.readAllBytes(writeSample());
        for (int cut : new int[] {3, 20, 60, all.length - 10}) {
            Path p = tmp.resolve("cut" + cut + ".gguf");
            Files.write(p, Arrays.copyOf(all, cut));
            JllmException e = assertThrows(JllmException.class, () -> GgufFile.open(p).close());
            assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        }
    }

    @Test
    void hostileCountsAreRefusedWithoutAllocating() throws Exception {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufFile.MAGIC).putInt(3).putLong(0).putLong(1);
        b.putLong(1).put((byte) 'k').putInt(9).putInt(8).putLong(Long.MAX_VALUE / 2);
        Path p = tmp.resolve("hostile.gguf");
        Files.write(p, b.array());
        JllmException e = assertThrows(JllmException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains("array length"), e.getMessage());

        Path bad = tmp.resolve("magic.gguf");
        Files.write(bad, new byte[64]);
        assertTrue(assertThrows(JllmException.class, () -> GgufFile.open(bad).close()).getMessage().contains("magic"));
    }
}
