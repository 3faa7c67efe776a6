package dev.jllm.train.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.train.data.Batch;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.TinyModels;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static dev.jllm.train.FloatAsserts.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.*;

/** PEFT's layers_to_transform / layers_pattern and bias options (TinyModels.LLAMA: 2 layers, every projection has a bias). */
class LoraOptionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> QV = List.of("q_proj", "v_proj");

    @TempDir
    Path dir;

    private static Set<String> adapted(CausalLm model) {
        var out = new TreeSet<String>();
        model.linearsByName().forEach((name, lin) -> { if (lin.lora() != null) out.add(name); });
        return out;
    }

    private static LoraConfig config(List<String> targets, List<Integer> layers, List<String> pattern, LoraConfig.Bias bias) {
        return new LoraConfig(2, 4, false, targets, null, 0.0, layers, pattern, bias);
    }

    @Test
    void onlyTheChosenLayersGetAdaptersAndTheTrainableCountIsPeftArithmetic() {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 1);
        LoraAdapters.attachNew(model, config(QV, List.of(1), List.of(), LoraConfig.Bias.NONE), 7);
        assertEquals(Set.of("model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"), adapted(model));
        // q_proj 8->16: A 2x8 + B 16x2 = 48; v_proj 8->8: A 2x8 + B 8x2 = 32
        assertEquals(80, TrainableParameters.of(model).trainable());
    }

    @Test
    void layersPatternNamesTheListWhoseIndexCounts() {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 1);
        LoraAdapters.attachNew(model, config(QV, List.of(0), List.of("layers"), LoraConfig.Bias.NONE), 7);
        assertEquals(Set.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj"), adapted(model));

        CausalLm other = TinyModels.model(TinyModels.LLAMA, 1);
        var e = assertThrows(JllmException.class, () -> LoraAdapters.attachNew(other, config(QV, List.of(0), List.of("h"), LoraConfig.Bias.NONE), 7));
        assertTrue(e.getMessage().contains("layers_to_transform [0]"), e.getMessage());
    }

    @Test
    void aFullModuleNameIsTakenWhateverItsLayerAsInPeft() {
        var c = config(List.of("model.layers.0.self_attn.q_proj", "v_proj"), List.of(1), List.of(), LoraConfig.Bias.NONE);
        assertTrue(c.targets("model.layers.0.self_attn.q_proj"));
        assertFalse(c.targets("model.layers.0.self_attn.v_proj"));
        assertTrue(c.targets("model.layers.1.self_attn.v_proj"));
        assertFalse(c.targets("model.layers.1.self_attn.q_proj"));
    }

    @Test
    void peftRefusesTheSameCombinations() {
        assertThrows(JllmException.class, () -> new LoraConfig(2, 4, false, List.of(), ".*q_proj", 0, List.of(0), List.of(), LoraConfig.Bias.NONE));
        assertThrows(JllmException.class, () -> config(QV, List.of(), List.of("layers"), LoraConfig.Bias.NONE));
        assertThrows(JllmException.class, () -> config(QV, List.of(-1), List.of(), LoraConfig.Bias.NONE));
        var e = assertThrows(JllmException.class, () -> LoraConfig.Bias.parse("some"));
        assertTrue(e.getMessage().contains("none, all or lora_only"), e.getMessage());
    }

    @Test
    void biasAllTrainsEveryBiasAndLoraOnlyThoseOfAdaptedLayers() {
        CausalLm all = TinyModels.model(TinyModels.LLAMA, 1);
        LoraAdapters.attachNew(all, config(QV, List.of(), List.of(), LoraConfig.Bias.ALL), 7);
        // 2 layers x (q 16 + k 8 + v 8 + o 8 + gate 12 + up 12 + down 8 = 72) biases, plus 2 x 80 adapter elements
        assertEquals(2 * 72 + 2 * 80, TrainableParameters.of(all).trainable());

        CausalLm only = TinyModels.model(TinyModels.LLAMA, 1);
        LoraAdapters.attachNew(only, config(QV, List.of(1), List.of(), LoraConfig.Bias.LORA_ONLY), 7);
        // layer 1's q (16) and v (8) biases
        assertEquals(80 + 24, TrainableParameters.of(only).trainable());
        var names = new TreeSet<String>();
        for (Parameter p : only.trainableParameters()) if (!p.name().contains("lora_")) names.add(p.name());
        assertEquals(Set.of("model.layers.1.self_attn.q_proj.bias", "model.layers.1.self_attn.v_proj.bias"), names);

        Batch batch = TinyModels.batch(only.config().vocabSize(), 3);
        only.forwardBackward(batch, batch.labelCount());
        double norm = 0;
        for (double g : only.parameter("model.layers.1.self_attn.q_proj.bias").grad()) norm += g * g;
        assertTrue(norm > 0, "the bias of an adapted layer receives a gradient");
    }

    @Test
    void biasesAndLayerChoiceSurviveSaveAndLoad() throws Exception {
        CausalLm a = TinyModels.model(TinyModels.LLAMA, 1);
        LoraConfig config = config(QV, List.of(1), List.of(), LoraConfig.Bias.ALL);
        LoraAdapters.attachNew(a, config, 7, LoraAdapters.InitLoraWeights.NONE);
        Random r = new Random(5);
        for (Parameter p : a.trainableParameters()) for (int i = 0; i < p.size(); i++) p.value()[i] = (float) r.nextGaussian();
        Path saved = dir.resolve("adapter");
        LoraAdapters.save(a, config, saved, "tiny");

        JsonNode json = JSON.readTree(saved.resolve(LoraConfig.FILE).toFile());
        assertEquals("all", json.path("bias").asText());
        assertEquals("[1]", json.path("layers_to_transform").toString());
        assertTrue(json.has("layers_pattern") && json.get("layers_pattern").isNull());
        try (var f = SafetensorsFile.open(saved.resolve(LoraAdapters.WEIGHTS))) {
            var keys = new TreeSet<String>();
            for (SafeTensor t : f.tensors()) keys.add(t.name());
            // PEFT's names: an unadapted module's bias plainly, an adapted one's under the base_layer PEFT wraps it as
            assertTrue(keys.contains("base_model.model.model.layers.0.self_attn.q_proj.bias"), keys.toString());
            assertTrue(keys.contains("base_model.model.model.layers.1.self_attn.q_proj.base_layer.bias"), keys.toString());
            assertFalse(keys.contains("base_model.model.model.layers.1.self_attn.q_proj.bias"), keys.toString());
            assertTrue(keys.contains("base_model.model.model.layers.1.mlp.down_proj.bias"), keys.toString());
            assertTrue(keys.contains("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"), keys.toString());
            assertFalse(keys.contains("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"), keys.toString());
            assertEquals(2 * 7 + 4, keys.size());
        }

        CausalLm b = TinyModels.model(TinyModels.LLAMA, 1);
        assertEquals(config, LoraAdapters.attach(b, saved));
        assertEquals(adapted(a), adapted(b));
        assertEquals(TrainableParameters.of(a), TrainableParameters.of(b));
        Batch batch = TinyModels.batch(a.config().vocabSize(), 3);
        assertArrayEquals(a.logits(batch), b.logits(batch), 0.0);
        for (LinearLayer lin : b.linearsByName().values()) assertTrue(lin.bias().trainable(), lin.bias().name());
    }

    @Test
    void anOlderPeftFileWithPlainBiasNamesLoadsToo() throws Exception {
        CausalLm a = TinyModels.model(TinyModels.LLAMA, 1);
        LoraConfig config = config(QV, List.of(), List.of(), LoraConfig.Bias.LORA_ONLY);
        LoraAdapters.attachNew(a, config, 7, LoraAdapters.InitLoraWeights.NONE);
        for (Parameter p : a.trainableParameters()) for (int i = 0; i < p.size(); i++) p.value()[i] = (float) (0.1 * (i % 7) - 0.3);
        LoraAdapters.save(a, config, dir, "tiny");
        var renamed = new java.util.ArrayList<SafeTensor>();
        try (var f = SafetensorsFile.open(dir.resolve(LoraAdapters.WEIGHTS))) {
            for (SafeTensor t : f.tensors()) {
                float[] v = new float[(int) t.shape()[0] * (t.shape().length == 2 ? (int) t.shape()[1] : 1)];
                double[] d = t.toDoubleArray();
                for (int i = 0; i < v.length; i++) v[i] = (float) d[i];
                renamed.add(SafeTensor.ofFloats(t.name().replace(".base_layer.bias", ".bias"), t.shape(), v));
            }
        }
        assertEquals(4 * 2 + 4, renamed.size());
        dev.jllm.core.safetensors.SafetensorsWriter.write(dir.resolve(LoraAdapters.WEIGHTS), renamed, java.util.Map.of());
        CausalLm b = TinyModels.model(TinyModels.LLAMA, 1);
        LoraAdapters.attach(b, dir);
        Batch batch = TinyModels.batch(a.config().vocabSize(), 3);
        assertArrayEquals(a.logits(batch), b.logits(batch), 0.0);
    }

    @Test
    void peftsSingleIntegerLayerAndLayerPatternStringAreRead() throws Exception {
        Files.writeString(dir.resolve(LoraConfig.FILE), """
                {"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"],"layers_to_transform":3,
                 "layers_pattern":"layers","bias":"lora_only"}""");
        LoraConfig c = LoraConfig.read(dir);
        assertEquals(List.of(3), c.layersToTransform());
        assertEquals(List.of("layers"), c.layersPattern());
        assertEquals(LoraConfig.Bias.LORA_ONLY, c.bias());
        Files.writeString(dir.resolve(LoraConfig.FILE), """
                {"peft_type":"LORA","r":4,"target_modules":["q_proj"],"layers_to_transform":["x"]}""");
        var e = assertThrows(JllmException.class, () -> LoraConfig.read(dir));
        assertTrue(e.getMessage().contains("layers_to_transform"), e.getMessage());
    }

    @Test
    void adapterSetRefusesBiasAdaptersItCouldNotSwitchBack() throws Exception {
        CausalLm a = TinyModels.model(TinyModels.LLAMA, 1);
        LoraConfig config = config(QV, List.of(), List.of(), LoraConfig.Bias.LORA_ONLY);
        LoraAdapters.attachNew(a, config, 7);
        LoraAdapters.save(a, config, dir, "tiny");
        var set = new AdapterSet(TinyModels.model(TinyModels.LLAMA, 1));
        var e = assertThrows(JllmException.class, () -> set.load("x", dir));
        assertTrue(e.getMessage().contains("lora_only"), e.getMessage());
    }

    @Test
    void modulesToSaveTrainWhollyCountTwiceInAllAndTravelUnderTheirOwnNames() throws Exception {
        CausalLm a = TinyModels.model(TinyModels.LLAMA, 1);
        long base = 0;
        for (Parameter p : a.parameters()) base += p.size();
        LoraConfig config = new LoraConfig(2, 4, false, QV, null, 0.0, List.of(), List.of(), LoraConfig.Bias.NONE, List.of("lm_head"));
        LoraAdapters.attachNew(a, config, 7, LoraAdapters.InitLoraWeights.NONE);
        // lm_head 13x8 = 104 trains; PEFT's frozen original and trainable copy both count in "all"
        assertEquals(new TrainableParameters(2 * 80 + 104, base + 2 * 80 + 104), TrainableParameters.of(a, config));
        Batch batch = TinyModels.batch(a.config().vocabSize(), 3);
        a.forwardBackward(batch, batch.labelCount());
        double norm = 0;
        for (double g : a.parameter("lm_head.weight").grad()) norm += g * g;
        assertTrue(norm > 0);
        // the adapter file holds float32: start from float32-representable values so the round trip is exact
        for (Parameter p : a.trainableParameters()) for (int i = 0; i < p.size(); i++) p.value()[i] = (float) (p.value()[i] + 0.01 * (i % 5));

        LoraAdapters.save(a, config, dir, "tiny");
        assertEquals("[\"lm_head\"]", JSON.readTree(dir.resolve(LoraConfig.FILE).toFile()).path("modules_to_save").toString());
        try (var f = SafetensorsFile.open(dir.resolve(LoraAdapters.WEIGHTS))) {
            assertTrue(f.has("base_model.model.lm_head.weight"));
            assertEquals(2 * 4 + 1, f.tensors().size());
        }
        CausalLm b = TinyModels.model(TinyModels.LLAMA, 1);
        assertEquals(config, LoraAdapters.attach(b, dir));
        assertEquals(TrainableParameters.of(a, config), TrainableParameters.of(b, config));
        assertArrayEquals(a.logits(batch), b.logits(batch), 0.0);
    }

    @Test
    void modulesToSaveRefusesWhatItCannotCopy() {
        var tiedLmHead = new LoraConfig(2, 4, false, QV, null, 0.0, List.of(), List.of(), LoraConfig.Bias.NONE, List.of("lm_head"));
        var e = assertThrows(JllmException.class, () -> LoraAdapters.attachNew(TinyModels.model(TinyModels.QWEN3, 1), tiedLmHead, 7));
        assertTrue(e.getMessage().contains("ties lm_head"), e.getMessage());
        var alsoTarget = new LoraConfig(2, 4, false, QV, null, 0.0, List.of(), List.of(), LoraConfig.Bias.NONE, List.of("q_proj"));
        e = assertThrows(JllmException.class, () -> LoraAdapters.attachNew(TinyModels.model(TinyModels.LLAMA, 1), alsoTarget, 7));
        assertTrue(e.getMessage().contains("also a LoRA target"), e.getMessage());
        var nothing = new LoraConfig(2, 4, false, QV, null, 0.0, List.of(), List.of(), LoraConfig.Bias.NONE, List.of("score"));
        e = assertThrows(JllmException.class, () -> LoraAdapters.attachNew(TinyModels.model(TinyModels.LLAMA, 1), nothing, 7));
        assertTrue(e.getMessage().contains("match no module"), e.getMessage());
    }

    @Test
    void aBiasInsideAModuleToSaveIsSavedOnce() throws Exception {
        CausalLm a = TinyModels.model(TinyModels.LLAMA, 1);
        var config = new LoraConfig(2, 4, false, QV, null, 0.0, List.of(), List.of(), LoraConfig.Bias.ALL, List.of("model.layers.0.mlp.down_proj"));
        LoraAdapters.attachNew(a, config, 7);
        for (Parameter p : a.trainableParameters()) for (int i = 0; i < p.size(); i++) p.value()[i] = (float) (0.05 * (i % 9) - 0.2);
        LoraAdapters.save(a, config, dir, "tiny");
        try (var f = SafetensorsFile.open(dir.resolve(LoraAdapters.WEIGHTS))) {
            // 8 LoRA tensors, 14 biases (one of them the saved module's), the saved module's weight
            assertEquals(8 + 14 + 1, f.tensors().size());
            assertTrue(f.has("base_model.model.model.layers.0.mlp.down_proj.bias"));
        }
        CausalLm b = TinyModels.model(TinyModels.LLAMA, 1);
        LoraAdapters.attach(b, dir);
        Batch batch = TinyModels.batch(a.config().vocabSize(), 3);
        assertArrayEquals(a.logits(batch), b.logits(batch), 0.0);
    }
}
