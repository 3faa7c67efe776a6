package dev.jllm.train.quant;

import dev.jllm.testkit.Fixtures;
import dev.jllm.train.data.Batch;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A 4-bit model keeps its quantized weights 4-bit: no dense copy, no gradient, through a whole QLoRA step. */
class QuantizedResidencyTest {
    private static final Batch BATCH = Batch.of(new int[][]{{1, 403, 407, 261, 378, 432, 383, 286, 261, 376}},
            new int[][]{{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}}, new int[][]{{1, 403, 407, 261, 378, 432, 383, 286, 261, 376}});

    private static List<LinearLayer> quantized(CausalLm model) {
        return model.linearsByName().values().stream().filter(l -> l.frozen() != null).toList();
    }

    @Test
    void prequantizedAndQuantizedAtLoadModelsHoldNoDenseCopyWhileTraining() {
        CausalLm loaded = QuantizedModels.load(Fixtures.resolve("quant", "stories260K-hf-bnb-nf4")).model();
        CausalLm atLoad = CausalLm.load(Fixtures.resolve("models", "stories260K-hf"));
        QuantizedModels.quantize(atLoad, BitsAndBytesConfig.nf4(true));
        for (CausalLm model : List.of(loaded, atLoad)) {
            QuantizedModels.prepareForKbitTraining(model);
            LoraAdapters.attachNew(model, new LoraConfig(4, 8.0, false, List.of("q_proj", "v_proj"), null), 3);
            model.forwardBackward(BATCH, BATCH.labelCount());
            assertEquals(35, quantized(model).size());
            for (LinearLayer lin : quantized(model)) {
                Parameter w = lin.weight();
                assertFalse(w.resident(), w.name() + " holds a dense copy");
                assertNull(w.grad(), w.name() + " has a gradient");
            }
            for (Parameter p : model.trainableParameters()) assertTrue(p.name().contains("lora_"), p.name());
        }
    }

    @Test
    void mergingDequantizesOnDemand() {
        CausalLm model = QuantizedModels.load(Fixtures.resolve("quant", "stories260K-hf-bnb-nf4")).model();
        LinearLayer q = model.linearsByName().get("model.layers.0.self_attn.q_proj");
        float[] expected = ((QuantizedLinear) q.frozen()).weight().dequantize();
        assertFalse(q.weight().resident());
        assertArrayEquals(expected, q.weight().value());
        assertTrue(q.weight().resident());
    }
}
