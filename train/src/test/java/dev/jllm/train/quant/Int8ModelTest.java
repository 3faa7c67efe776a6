package dev.jllm.train.quant;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.Bnb8bitWeight;
import dev.jllm.testkit.Fixtures;
import dev.jllm.train.data.Batch;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** LLM.int8 models: quantize at load, save/load in bitsandbytes' 8-bit layout, train an adapter on the frozen int8 base. */
class Int8ModelTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Batch batch() {
        int[][] ids = {{1, 5, 9, 14, 20, 7, 3, 2}};
        int[][] mask = {{1, 1, 1, 1, 1, 1, 1, 1}};
        return Batch.of(ids, mask, ids);
    }

    @Test
    void quantizeSaveLoadIsByteIdenticalAndGivesTheSameLogits(@TempDir Path dir) throws Exception {
        Path source = Fixtures.resolve("models", "stories260K-hf");
        CausalLm full = CausalLm.load(source);
        float[] fullLogits = full.logits(batch());
        CausalLm model = CausalLm.load(source);
        BitsAndBytesConfig config = BitsAndBytesConfig.int8(6.0, null);
        assertEquals(35, QuantizedModels.quantize(model, config));
        float[] int8Logits = model.logits(batch());
        double worst = 0;
        for (int i = 0; i < fullLogits.length; i++) worst = Math.max(worst, Math.abs(fullLogits[i] - int8Logits[i]));
        assertTrue(worst > 0 && worst < 0.5, "int8 logits deviate by " + worst);

        Path a = dir.resolve("a"), b = dir.resolve("b");
        QuantizedModels.save(model, config, source, a);
        var q = JSON.readTree(Files.readString(a.resolve("config.json"))).path("quantization_config");
        assertTrue(q.path("load_in_8bit").asBoolean());
        assertFalse(q.path("load_in_4bit").asBoolean());
        assertEquals(6.0, q.path("llm_int8_threshold").asDouble());
        QuantizedModels.Loaded loaded = QuantizedModels.load(a);
        assertTrue(loaded.quantization().loadIn8bit());
        assertArrayEquals(int8Logits, loaded.model().logits(batch()));
        QuantizedModels.save(loaded.model(), loaded.quantization(), a, b);
        assertArrayEquals(Files.readAllBytes(a.resolve("model.safetensors")), Files.readAllBytes(b.resolve("model.safetensors")));

        // the threshold is a runtime setting: 0 turns the decomposition off and changes the logits when outliers occur
        QuantizedModels.setInt8Threshold(loaded.model(), 0);
        for (LinearLayer lin : loaded.model().linearsByName().values()) assertEquals(0.0, ((Int8Linear) lin.frozen()).threshold());
    }

    @Test
    void loraTrainsOnTheFrozenInt8BaseWithBitsandbytesInputGradient() {
        CausalLm model = CausalLm.load(Fixtures.resolve("models", "stories260K-hf"));
        QuantizedModels.quantize(model, BitsAndBytesConfig.int8(6.0, null));
        QuantizedModels.prepareForKbitTraining(model);
        LoraConfig lora = new LoraConfig(4, 8, false, List.of("q_proj", "v_proj"), null, 0.0, List.of(), List.of(), LoraConfig.Bias.NONE, List.of());
        LoraAdapters.attachNew(model, lora, 42, LoraAdapters.InitLoraWeights.GAUSSIAN);
        for (Parameter p : model.trainableParameters()) assertTrue(p.name().contains("lora_"), p.name());
        model.zeroGrad();
        CausalLm.Result r = model.forwardBackward(batch(), 8);
        assertTrue(Double.isFinite(r.loss()));
        double norm = 0;
        for (Parameter p : model.trainableParameters()) for (double g : p.grad()) norm += g * g;
        assertTrue(norm > 0 && Double.isFinite(norm));

        // the frozen layer's input gradient is dy·W' with W' = CB·SCB/127
        Int8Linear layer = (Int8Linear) model.linearsByName().get("model.layers.0.mlp.down_proj").frozen();
        Bnb8bitWeight w = layer.weight();
        float[] dy = new float[2 * w.rows()];
        for (int i = 0; i < dy.length; i++) dy[i] = (float) Math.sin(i);
        float[] dx = new float[2 * w.cols()];
        layer.inputGradient(dx, dy, 2, true);
        float[] wd = w.dequantize();
        for (int row = 0; row < 2; row++) {
            for (int c = 0; c < w.cols(); c++) {
                double e = 0;
                for (int o = 0; o < w.rows(); o++) e += dy[row * w.rows() + o] * wd[o * w.cols() + c];
                assertEquals(e, dx[row * w.cols() + c], 1e-4);
            }
        }
    }

    @Test
    void configsAreValidated() {
        var root = JSON.createObjectNode();
        var q = root.putObject("quantization_config");
        q.put("quant_method", "bitsandbytes").put("load_in_8bit", true).put("llm_int8_threshold", 4.5);
        BitsAndBytesConfig c = BitsAndBytesConfig.fromModelConfig("cfg", root);
        assertTrue(c.loadIn8bit());
        assertEquals(4.5, c.llmInt8Threshold());
        q.put("llm_int8_has_fp16_weight", true);
        assertTrue(assertThrows(JllmException.class, () -> BitsAndBytesConfig.fromModelConfig("cfg", root)).getMessage().contains("llm_int8_has_fp16_weight"));
        q.put("llm_int8_has_fp16_weight", false).put("load_in_4bit", true);
        assertTrue(assertThrows(JllmException.class, () -> BitsAndBytesConfig.fromModelConfig("cfg", root)).getMessage().contains("both"));
        q.put("load_in_4bit", false).put("llm_int8_threshold", -1.0);
        assertTrue(assertThrows(JllmException.class, () -> BitsAndBytesConfig.fromModelConfig("cfg", root)).getMessage().contains("llm_int8_threshold"));
        q.put("llm_int8_threshold", "six");
        assertThrows(JllmException.class, () -> BitsAndBytesConfig.fromModelConfig("cfg", root));
    }
}
