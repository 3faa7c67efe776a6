package dev.jllm.model.synth;

import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;
import dev.jllm.model.config.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RandomHfModelTest {
    @TempDir
    Path dir;

    @Test
    void writesALoadableLlamaFolderWithEveryTensorAndTheSameBytesEachTime() throws Exception {
        // more rows than one slab of pieces, so the slab loop runs several times
        var shape = new RandomModel.Shape(700, 64, 96, 2, 4, 2, 128);
        RandomHfModel.write(dir.resolve("a"), shape, DType.BF16, 5);
        RandomHfModel.write(dir.resolve("b"), shape, DType.BF16, 5);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a/model.safetensors")), Files.readAllBytes(dir.resolve("b/model.safetensors")));
        ModelConfig c = ModelConfig.fromJson(dir.resolve("a"));
        assertEquals(64, c.hiddenSize());
        assertEquals(2, c.numLayers());
        assertFalse(c.tieWordEmbeddings());
        long total = 0;
        try (Checkpoint ckpt = Checkpoint.open(dir.resolve("a"))) {
            assertEquals(3 + 9 * 2, ckpt.names().size());
            for (String name : ckpt.names()) {
                SafeTensor t = ckpt.tensor(name);
                assertEquals(DType.BF16, t.dtype(), name);
                total += t.elementCount();
            }
            assertArrayEquals(new long[]{32, 64}, ckpt.tensor("model.layers.1.self_attn.k_proj.weight").shape());
            assertArrayEquals(new long[]{64, 96}, ckpt.tensor("model.layers.0.mlp.down_proj.weight").shape());
            for (float v : ckpt.tensor("model.layers.0.input_layernorm.weight").toFloatArray()) assertEquals(1f, v);
            float[] q = ckpt.tensor("model.layers.0.self_attn.q_proj.weight").toFloatArray();
            double a = Math.sqrt(3.0 / 64), sumSq = 0;
            for (float v : q) {
                assertTrue(Math.abs(v) <= a * 1.01, "uniform(-a, a)");
                sumSq += v * v;
            }
            assertEquals(1.0 / 64, sumSq / q.length, 0.1 / 64, "variance 1/fan_in");
            float[] lm = ckpt.tensor("lm_head.weight").toFloatArray();
            float[] emb = ckpt.tensor("model.embed_tokens.weight").toFloatArray();
            assertFalse(java.util.Arrays.equals(lm, emb), "untied, independent streams");
        }
        assertEquals(RandomHfModel.parameters(shape), total);
    }
}
