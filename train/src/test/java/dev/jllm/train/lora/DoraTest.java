package dev.jllm.train.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.train.data.Batch;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.TinyModels;
import dev.jllm.train.nn.GradCheck;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.quant.BitsAndBytesConfig;
import dev.jllm.train.quant.QuantizedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

/** PEFT's use_dora on whole models: initialization, trainable count, gradients, save/load, merge, 4-bit base. */
class DoraTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LoraConfig DORA = new LoraConfig(2, 4, false, List.of("q_proj", "v_proj", "down_proj"), null, 0.0).withUseDora(true);

    @TempDir
    Path dir;

    private static void perturb(CausalLm model, long seed) {
        Random r = new Random(seed);
        for (Parameter p : model.trainableParameters()) for (int i = 0; i < p.size(); i++) p.value()[i] += (float) (0.3 * r.nextGaussian());
    }

    @Test
    void startsAsTheBaseModelAndCountsTheMagnitudes() {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 2);
        Batch batch = TinyModels.batch(model.config().vocabSize(), 3);
        float[] base = model.logits(batch);
        LoraAdapters.attachNew(model, DORA, 5);
        assertArrayEquals(base, model.logits(batch), 1e-5f);
        // LLAMA: hidden 8, q 8->16, v 8->8, down 12->8; per layer A+B+m = (16+32+16) + (16+16+8) + (24+16+8) = 152, two layers
        assertEquals(304, TrainableParameters.of(model).trainable());
        for (var e : model.linearsByName().entrySet()) {
            LinearLayer lin = e.getValue();
            if (lin.lora() == null) continue;
            assertEquals(e.getKey() + ".lora_magnitude_vector", lin.lora().magnitude().name());
            assertArrayEquals(lin.doraWeightNorm(), lin.lora().magnitude().value(), 0f);
        }
    }

    @Test
    void magnitudeGradientsMatchFiniteDifferences() {
        CausalLm model = TinyModels.model(TinyModels.QWEN3, 4);
        LoraAdapters.attachNew(model, DORA, 6);
        perturb(model, 7);
        Batch batch = TinyModels.batch(model.config().vocabSize(), 8);
        int items = batch.labelCount();
        model.zeroGrad();
        model.forwardBackward(batch, items);
        for (Parameter p : model.trainableParameters()) {
            if (p.name().endsWith("lora_magnitude_vector")) GradCheck.check(p.name(), p.value(), p.grad(), () -> model.loss(batch, items).loss());
        }
    }

    @Test
    void saveLoadMergeRoundTrip() throws Exception {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 9);
        LoraAdapters.attachNew(model, DORA, 10);
        perturb(model, 11);
        Batch batch = TinyModels.batch(model.config().vocabSize(), 12);
        float[] adapted = model.logits(batch);
        LoraAdapters.save(model, DORA, dir, "tiny");
        assertTrue(JSON.readTree(dir.resolve("adapter_config.json").toFile()).path("use_dora").asBoolean());
        var names = new TreeSet<String>();
        try (var f = SafetensorsFile.open(dir.resolve(LoraAdapters.WEIGHTS))) {
            for (SafeTensor t : f.tensors()) names.add(t.name());
            assertArrayEquals(new long[]{16}, f.tensor("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector").shape());
        }
        assertEquals(2 * 3 * 3, names.size());

        CausalLm reloaded = TinyModels.model(TinyModels.LLAMA, 9);
        LoraConfig read = LoraAdapters.attach(reloaded, dir);
        assertTrue(read.useDora());
        assertArrayEquals(adapted, reloaded.logits(batch), 0f); // float32 values, float32 file
        LoraAdapters.merge(reloaded);
        for (LinearLayer lin : reloaded.linearsByName().values()) assertNull(lin.lora());
        assertArrayEquals(adapted, reloaded.logits(batch), 1e-4f);

        // a DoRA adapter file without its magnitudes is refused, naming the tensor
        Path broken = dir.resolve("broken");
        Files.createDirectories(broken);
        Files.copy(dir.resolve("adapter_config.json"), broken.resolve("adapter_config.json"));
        try (var f = SafetensorsFile.open(dir.resolve(LoraAdapters.WEIGHTS))) {
            var kept = new ArrayList<SafeTensor>();
            for (SafeTensor t : f.tensors()) if (!t.name().endsWith("layers.1.mlp.down_proj.lora_magnitude_vector")) kept.add(t);
            SafetensorsWriter.write(broken.resolve(LoraAdapters.WEIGHTS), kept, Map.of());
        }
        var e = assertThrows(JllmException.class, () -> LoraAdapters.attach(TinyModels.model(TinyModels.LLAMA, 9), broken));
        assertTrue(e.getMessage().contains("layers.1.mlp.down_proj.lora_magnitude_vector"), e.getMessage());
    }

    @Test
    void aFourBitBaseIsNormalizedFromItsDequantizedWeight() {
        quantizedBase(BitsAndBytesConfig.nf4(false));
    }

    /**
     * An LLM.int8 base: the base output is the int8 product, the DoRA terms use int8_vectorwise_dequant's weight. No
     * finite differences here: every int8 layer rounds its input to int8 codes, so the loss is piecewise constant in
     * the parameters upstream of one, and bitsandbytes' backward (the dequantized weight) is a straight-through
     * gradient, not the derivative of that staircase.
     */
    @Test
    void anInt8BaseIsNormalizedFromItsDequantizedWeight() {
        quantizedBase(BitsAndBytesConfig.int8(6.0, null));
    }

    private static void quantizedBase(BitsAndBytesConfig bnb) {
        CausalLm model = TinyModels.model(TinyModels.QWEN2, 13);
        QuantizedModels.quantize(model, bnb);
        Batch batch = TinyModels.batch(model.config().vocabSize(), 14);
        float[] base = model.logits(batch);
        LoraAdapters.attachNew(model, new LoraConfig(2, 4, false, List.of("q_proj", "o_proj"), null, 0.0).withUseDora(true), 15);
        assertArrayEquals(base, model.logits(batch), 1e-5f);
        for (LinearLayer lin : model.linearsByName().values()) {
            if (lin.lora() == null) continue;
            float[] w = lin.frozen().dequantized();
            double n0 = 0;
            for (int c = 0; c < lin.in(); c++) n0 += (double) w[c] * w[c];
            assertEquals((float) Math.sqrt(n0), lin.lora().magnitude().value()[0], 1e-6);
        }
        perturb(model, 16);
        int items = batch.labelCount();
        model.zeroGrad();
        model.forwardBackward(batch, items);
        for (Parameter p : model.trainableParameters()) {
            if (!p.name().endsWith("lora_magnitude_vector")) continue;
            if (bnb.loadIn8bit()) {
                double norm = 0;
                for (float g : p.grad()) norm += g * g;
                assertTrue(norm > 0 && Double.isFinite(norm), p.name());
            } else {
                GradCheck.check(p.name(), p.value(), p.grad(), () -> model.loss(batch, items).loss());
            }
        }
    }
}
