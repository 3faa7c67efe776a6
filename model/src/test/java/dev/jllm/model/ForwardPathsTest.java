package dev.jllm.model;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.model.synth.RandomModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** Batched, chunked and one-token-at-a-time forward passes agree. */
class ForwardPathsTest {
    @TempDir
    static Path tmp;
    static Path gguf;

    @BeforeAll
    static void writeTinyModel() {
        gguf = tmp.resolve("tiny.gguf");
        RandomModel.writeGguf(gguf, RandomModel.Shape.tiny(), GgmlType.F32, 11);
    }

    @Test
    void chunkedPrefillEqualsOnePass() {
        try (Model m = Model.load(gguf)) {
            int n = Model.PREFILL_CHUNK + 37;
            int[] ids = new int[n];
            for (int i = 0; i < n; i++) ids[i] = (i * 31 + 7) % 256;
            float[][] all = m.logits(ids);
            Model.Session s = m.newSession(n);
            float[] last = s.append(ids);
            assertArrayEquals(all[n - 1], last, 1e-5f);
            // one token at a time reaches the same logits as the batched pass
            Model.Session step = m.newSession(n);
            float[] l = null;
            for (int i = 0; i < 40; i++) l = step.append(new int[] {ids[i]});
            assertArrayEquals(all[39], l, 1e-4f);
        }
    }


    @Test
    void truncatedSessionRecomputesTheSameLogits() {
        try (Model m = Model.load(gguf)) {
            int[] a = {1, 10, 20, 30, 40};
            int[] b = {1, 10, 20, 99, 98};
            float[] expected = m.logits(b)[4];
            Model.Session s = m.newSession(16);
            s.append(a);
            s.truncate(3);
            float[] actual = s.append(new int[] {99, 98});
            assertArrayEquals(expected, actual, 1e-5f);
        }
    }
}
