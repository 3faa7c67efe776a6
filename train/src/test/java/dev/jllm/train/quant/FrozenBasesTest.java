package dev.jllm.train.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.quant.bnb.QuantType;
import dev.jllm.core.tensor.DType;
import dev.jllm.model.synth.RandomHfModel;
import dev.jllm.model.synth.RandomModel;
import dev.jllm.train.StepEngine;
import dev.jllm.train.data.Batch;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.optim.AdamW;
import dev.jllm.train.optim.ParamGroup;
import dev.jllm.train.schedule.LrSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FrozenBasesTest {
    @TempDir
    Path dir;

    private static final RandomModel.Shape SHAPE = new RandomModel.Shape(96, 64, 96, 2, 4, 2, 64);

    /** Attaches a rank-4 adapter to q/v/down and checks that five constant-lr steps lower the loss on {@code b}. */
    private static void assertLoraLearns(CausalLm model, Batch b, String what) {
        LoraAdapters.attachNew(model, new LoraConfig(4, 8, false, List.of("q_proj", "v_proj", "down_proj"), null), 1);
        var engine = new StepEngine(model, new AdamW(ParamGroup.withDecay(model.trainableParameters(), 0)),
                LrSchedule.of(LrSchedule.Type.CONSTANT, 1e-2, 0, 5), 1.0);
        double first = engine.run(List.of(b)).loss();
        double last = first;
        for (int i = 0; i < 4; i++) last = engine.run(List.of(b)).loss();
        assertTrue(last < first, what + " learns: " + first + " -> " + last);
    }

    private static Batch batch(int vocab) {
        int rows = 2, t = 20;
        int[] ids = new int[rows * t];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 11) % vocab;
        int[] mask = new int[ids.length];
        Arrays.fill(mask, 1);
        return new Batch(rows, t, ids, mask, ids.clone());
    }

    @Test
    void streamedFourBitModelEqualsQuantizingTheLoadedModel() {
        Path folder = dir.resolve("m");
        RandomHfModel.write(folder, SHAPE, DType.BF16, 3);
        BitsAndBytesConfig bnb = BitsAndBytesConfig.nf4(true);
        CausalLm streamed = FrozenBases.load4bit(folder, bnb);
        CausalLm loaded = CausalLm.load(folder);
        QuantizedModels.quantize(loaded, bnb);
        Batch b = batch(SHAPE.vocab());
        assertArrayEquals(loaded.logits(b), streamed.logits(b));
        for (var e : streamed.linearsByName().entrySet()) {
            LinearLayer lin = e.getValue();
            assertInstanceOf(QuantizedLinear.class, lin.frozen(), e.getKey());
            QuantizedLinear ours = (QuantizedLinear) lin.frozen();
            QuantizedLinear theirs = (QuantizedLinear) loaded.linearsByName().get(e.getKey()).frozen();
            assertArrayEquals(theirs.weight().packed(), ours.weight().packed(), e.getKey());
        }
        for (Parameter p : streamed.parameters()) assertNull(p.grad(), p.name() + " must start frozen");
        // a deferred weight makes its dense values only when asked: the dequantized matrix
        Parameter q = streamed.parameter("model.layers.1.self_attn.q_proj.weight");
        assertArrayEquals(loaded.parameter("model.layers.1.self_attn.q_proj.weight").value(), q.value());
        assertEquals(64 * 64, q.size());
    }

    @Test
    void bf16ComputeDtypeKeepsEmbeddingHeadAndHiddenStatesInBf16AndStaysCloseToFloat32Compute() {
        Path folder = dir.resolve("m");
        RandomHfModel.write(folder, SHAPE, DType.BF16, 6);
        CausalLm f32 = FrozenBases.load4bit(folder, BitsAndBytesConfig.nf4(true));
        CausalLm bf16 = FrozenBases.load4bit(folder, new BitsAndBytesConfig(QuantType.NF4, ComputeDtype.BFLOAT16, true, null));
        assertEquals(DType.F32, f32.hiddenStateDtype());
        assertTrue(f32.parameter("model.embed_tokens.weight").resident(), "float32 compute keeps the float32 embedding");
        assertEquals(DType.BF16, bf16.hiddenStateDtype());
        for (String name : List.of("model.embed_tokens.weight", "lm_head.weight")) {
            Parameter p = bf16.parameter(name);
            assertFalse(p.resident(), name + " holds no float32 copy");
            assertNull(p.grad(), name + " is frozen");
        }
        Batch b = batch(SHAPE.vocab());
        float[] want = f32.logits(b), got = bf16.logits(b);
        double worst = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        // bf16 keeps 8 significant bits (unit roundoff 2^-9): the products' inputs and the hidden states between the
        // two blocks are rounded, each within 2^-9 relative, so the logits move by a few 2^-9 of their scale
        System.out.printf("QLoRA bf16 vs float32 compute: max |logit difference| %.3g, %.2f units of 2^-9 of the logit scale %.3g%n",
                worst, worst / (0x1p-9 * scale), scale);
        assertTrue(worst > 0 && worst < 8 * 0x1p-9 * scale, "bf16 vs float32 compute: logits within " + worst + " (scale " + scale + ")");
        // the embedding lookup reads the bf16 table: the checkpoint's bf16 values exactly
        assertArrayEquals(f32.parameter("model.embed_tokens.weight").value(), bf16.parameter("model.embed_tokens.weight").value());

        assertLoraLearns(bf16, b, "QLoRA with bf16 compute");
        assertFalse(bf16.parameter("lm_head.weight").resident(), "training never widens the bf16 head");
    }

    @Test
    void bf16BaseComputesWhatTheFloat32ModelComputesAndTrainsALoraAdapter() {
        Path folder = dir.resolve("m");
        RandomHfModel.write(folder, SHAPE, DType.BF16, 4);
        CausalLm bf16 = FrozenBases.loadBf16(folder);
        CausalLm dense = CausalLm.load(folder);
        Batch b = batch(SHAPE.vocab());
        float[] want = dense.logits(b), got = bf16.logits(b);
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(want[i] - got[i]) / (1 + Math.abs(want[i])));
        assertTrue(worst < 1e-5, "bf16 panels vs dense float32 products: " + worst);
        for (var lin : bf16.linearsByName().values()) assertInstanceOf(HalfLinear.class, lin.frozen());

        bf16.setGradientCheckpointing(true);
        assertLoraLearns(bf16, b, "LoRA on the bf16 base");
    }

    @Test
    void aBf16BaseNeedsBf16Projections() {
        Path folder = dir.resolve("f32");
        RandomHfModel.write(folder, SHAPE, DType.F32, 5);
        var e = assertThrows(JllmException.class, () -> FrozenBases.loadBf16(folder));
        assertTrue(e.getMessage().contains("expected a 2-D BF16 matrix"), e.getMessage());
    }
}
