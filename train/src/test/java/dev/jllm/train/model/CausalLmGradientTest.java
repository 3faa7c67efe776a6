package dev.jllm.train.model;

import dev.jllm.train.data.Batch;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.nn.GradCheck;
import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.Random;

import static dev.jllm.train.FloatAsserts.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole-model gradients against finite differences ({@link GradCheck}), and accumulation versus one large batch. */
class CausalLmGradientTest {

    @ParameterizedTest
    @ValueSource(strings = {"LLAMA", "QWEN3", "MISTRAL", "QWEN2"})
    void everyParameterGradientMatchesFiniteDifferences(String family) throws Exception {
        String json = (String) TinyModels.class.getField(family).get(null);
        CausalLm model = TinyModels.model(json, 3);
        Batch batch = TinyModels.batch(model.config().vocabSize(), 5);
        int items = batch.labelCount();
        model.zeroGrad();
        model.forwardBackward(batch, items);
        for (Parameter p : model.parameters()) {
            GradCheck.check(family + " " + p.name(), p.value(), p.grad(), () -> model.loss(batch, items).loss());
        }
    }

    @Test
    void loraGradientsMatchFiniteDifferencesAndBaseStaysFrozen() {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 9);
        var config = new LoraConfig(2, 3.0, true, List.of("q_proj", "v_proj", "down_proj"), null);
        LoraAdapters.attachNew(model, config, 11);
        Random r = new Random(4);
        List<Parameter> trainable = model.trainableParameters();
        assertEquals(2 * 3 * 2, trainable.size());
        for (Parameter p : trainable) for (int i = 0; i < p.size(); i++) p.value()[i] = (float) (r.nextGaussian() * 0.5);
        Batch batch = TinyModels.batch(model.config().vocabSize(), 6);
        int items = batch.labelCount();
        model.forwardBackward(batch, items);
        for (Parameter p : trainable) {
            assertTrue(p.name().contains("lora_"), p.name());
            GradCheck.check(p.name(), p.value(), p.grad(), () -> model.loss(batch, items).loss());
        }
        for (Parameter p : model.parameters()) assertTrue(!p.trainable(), p.name() + " should be frozen");
    }

    @Test
    void accumulatedMicroBatchesEqualOneLargeBatch() {
        CausalLm big = TinyModels.model(TinyModels.QWEN3, 21);
        CausalLm small = TinyModels.model(TinyModels.QWEN3, 21);
        Batch batch = TinyModels.batch(big.config().vocabSize(), 8);
        int items = batch.labelCount();
        var whole = big.forwardBackward(batch, items);
        double loss = 0;
        for (int b = 0; b < batch.rows(); b++) {
            int T = batch.seqLen();
            Batch row = new Batch(1, T, java.util.Arrays.copyOfRange(batch.inputIds(), b * T, (b + 1) * T),
                    java.util.Arrays.copyOfRange(batch.attentionMask(), b * T, (b + 1) * T),
                    java.util.Arrays.copyOfRange(batch.labels(), b * T, (b + 1) * T));
            loss += small.forwardBackward(row, items).loss();
        }
        // Float32 products over 8 rows or over 1 row round differently; the sums agree to float32 rounding.
        assertEquals(whole.loss(), loss, 1e-6);
        for (int i = 0; i < big.parameters().size(); i++) {
            assertArrayEquals(big.parameters().get(i).grad(), small.parameters().get(i).grad(), 2e-6, big.parameters().get(i).name());
        }
    }

    @Test
    void gradientCheckpointingGivesTheSameGradients() {
        CausalLm plain = TinyModels.model(TinyModels.QWEN3, 31);
        CausalLm checkpointed = TinyModels.model(TinyModels.QWEN3, 31);
        checkpointed.setGradientCheckpointing(true);
        Batch batch = TinyModels.batch(plain.config().vocabSize(), 12);
        int items = batch.labelCount();
        assertEquals(plain.forwardBackward(batch, items).loss(), checkpointed.forwardBackward(batch, items).loss());
        for (int i = 0; i < plain.parameters().size(); i++) {
            assertArrayEquals(plain.parameters().get(i).grad(), checkpointed.parameters().get(i).grad(), 0.0, plain.parameters().get(i).name());
        }
    }

    @Test
    void paddingDoesNotChangeRealPositions() {
        CausalLm model = TinyModels.model(TinyModels.MISTRAL, 2);
        Batch padded = TinyModels.batch(model.config().vocabSize(), 3);
        int T = padded.seqLen(), len = 4, V = model.config().vocabSize();
        Batch alone = new Batch(1, len, java.util.Arrays.copyOfRange(padded.inputIds(), T, T + len), new int[]{1, 1, 1, 1},
                java.util.Arrays.copyOfRange(padded.labels(), T, T + len));
        float[] a = model.logits(alone);
        float[] p = model.logits(padded);
        for (int t = 0; t < len; t++) {
            for (int v = 0; v < V; v++) assertEquals(a[t * V + v], p[(T + t) * V + v], 1e-5);
        }
    }
}
