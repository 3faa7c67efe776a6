package dev.jllm.train.model;

import dev.jllm.model.Model;
import dev.jllm.testkit.Fixtures;
import dev.jllm.train.data.Batch;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The training forward ({@link CausalLm}) and the inference runtime ({@link Model}) give the same logits for the
 * same checkpoint. They share RoPE, the RMSNorm row and the SiLU gate; attention and the matrix products are their
 * own (training keeps what its backward pass needs), so they agree to float32 rounding, not bit for bit.
 */
class ForwardAgreementTest {
    @Test
    void trainingAndInferenceLogitsAgree() {
        for (String folder : new String[] {"stories260K-hf", "arch/llama3", "arch/mistral", "arch/smollm", "arch/qwen2"}) {
            Path path = Fixtures.resolve("models", folder);
            CausalLm train = CausalLm.load(path);
            int vocab = train.config().vocabSize();
            int[] ids = new int[48];
            for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 1) % vocab;
            int[] ones = new int[ids.length];
            Arrays.fill(ones, 1);
            float[] a = train.logits(Batch.of(new int[][] {ids}, new int[][] {ones}, new int[][] {ids}));
            double max = 0, scale = 0;
            try (Model m = Model.load(path)) {
                float[][] b = m.logits(ids);
                for (int t = 0; t < ids.length; t++) {
                    for (int v = 0; v < vocab; v++) {
                        max = Math.max(max, Math.abs(a[t * vocab + v] - b[t][v]));
                        scale = Math.max(scale, Math.abs(b[t][v]));
                    }
                }
            }
            System.out.printf("%s: training vs inference logits, max |difference| %.3g (largest |logit| %.3g)%n", folder, max, scale);
            // ../shared documents a float32 forward of stories260K-hf as up to 1.6e-5 from the float64 one, so two float32
            // forwards may lie 3.2e-5 apart (measured: 1.3e-5 on stories260K-hf, 2e-6 to 6e-6 on the arch models)
            assertTrue(max <= 3.2e-5, folder + ": " + max);
        }
    }
}
