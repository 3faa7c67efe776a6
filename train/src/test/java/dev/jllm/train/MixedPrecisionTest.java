package dev.jllm.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.train.data.Batch;
import dev.jllm.train.data.Dataset;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.TinyModels;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.optim.AdamW;
import dev.jllm.train.optim.ParamGroup;
import dev.jllm.train.precision.GradScaler;
import dev.jllm.train.precision.Precision;
import dev.jllm.train.schedule.LrSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** bf16 / fp16 mixed-precision training: accuracy against fp32, 16-bit activation storage, fp16 loss scaling, resume. */
class MixedPrecisionTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    /** A small but not minimal Llama: every product is a real matrix, so 16-bit rounding shows in every layer. */
    private static final String SMALL = """
            {"architectures":["LlamaForCausalLM"],"vocab_size":64,"hidden_size":32,"intermediate_size":48,
             "num_hidden_layers":3,"num_attention_heads":4,"num_key_value_heads":2,"head_dim":8,
             "tie_word_embeddings":false,"rms_norm_eps":1e-5,"rope_theta":10000.0}""";

    private static CausalLm small(long seed) {
        return CausalLm.initialize(TinyModels.config(SMALL), 0.1, seed);
    }

    private Trainer.TrainOutput train(CausalLm model, String name, String extra) throws Exception {
        var args = TrainingArguments.defaults(dir.resolve(name).toString()).with("t", JSON.readTree(
                "{\"max_steps\":12,\"per_device_train_batch_size\":4,\"logging_steps\":1,\"learning_rate\":0.01,\"seed\":3,"
                        + "\"save_steps\":0" + extra + "}"));
        return new Trainer(model, args, RandomRows.of(48, 64, 11), 0, null, new PrintWriter(new ByteArrayOutputStream()), null).train();
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "FP16"})
    void lossesTrackTheFp32Run(Precision precision) throws Exception {
        var fp32 = train(small(1), "fp32", "");
        var half = train(small(1), precision.flag(), ",\"" + precision.flag() + "\":true");
        double worst = 0;
        for (int i = 0; i < fp32.log().size(); i++) {
            double a = fp32.log().get(i).loss(), b = half.log().get(i).loss();
            worst = Math.max(worst, Math.abs(a - b) / a);
        }
        System.out.printf("%s vs fp32: worst relative loss gap over %d steps %.3g (first %.6f vs %.6f, last %.6f vs %.6f)%n", precision, fp32.log().size(), worst,
                fp32.log().getFirst().loss(), half.log().getFirst().loss(), fp32.log().getLast().loss(), half.log().getLast().loss());
        // bf16 keeps 8 significant bits, fp16 11: the loss moves by far less than either's relative rounding of a weight
        assertTrue(worst < (precision == Precision.BF16 ? 1e-2 : 2e-3), precision + " loss gap " + worst);
        assertTrue(worst > 0, "the 16-bit run must actually round something");
        assertTrue(half.log().getLast().loss() < half.log().getFirst().loss(), "it still trains");
    }

    @Test
    void fp32RunIsUnchangedBySettingFp32() throws Exception {
        CausalLm a = small(2), b = small(2);
        b.setPrecision(Precision.BF16);
        b.setPrecision(Precision.FP32);
        var x = train(a, "a", "");
        var y = train(b, "b", "");
        assertEquals(x.log(), y.log());
    }

    /**
     * Storing the activations in 16 bits is lossless (forward rounded them before using them): a bf16 step keeping
     * every layer's activations equals one that recomputes them (gradient checkpointing) bit for bit.
     */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "FP16"})
    void sixteenBitStorageIsLossless(Precision precision) {
        for (String json : List.of(TinyModels.LLAMA, TinyModels.QWEN3, "DORA")) {
            boolean dora = json.equals("DORA");
            CausalLm stored = TinyModels.model(dora ? TinyModels.LLAMA : json, 5), recomputed = TinyModels.model(dora ? TinyModels.LLAMA : json, 5);
            for (CausalLm m : List.of(stored, recomputed)) {
                m.setPrecision(precision);
                if (dora) {
                    // adapters with dropout: the mask is a function of the (16-bit) input, so it too must come back exactly
                    dev.jllm.train.lora.LoraAdapters.attachNew(m, new dev.jllm.train.lora.LoraConfig(2, 4.0, false,
                            List.of("q_proj", "down_proj"), null, 0.2).withUseDora(true), 3);
                } else {
                    for (Parameter p : m.parameters()) p.setTrainable(true);
                }
            }
            recomputed.setGradientCheckpointing(true);
            Batch batch = TinyModels.batch(stored.config().vocabSize(), 7);
            var r1 = stored.forwardBackward(batch, batch.labelCount());
            var r2 = recomputed.forwardBackward(batch, batch.labelCount());
            assertEquals(r1.lossSum(), r2.lossSum());
            for (int i = 0; i < stored.trainableParameters().size(); i++) {
                assertArrayEquals(stored.trainableParameters().get(i).grad(), recomputed.trainableParameters().get(i).grad(),
                        stored.trainableParameters().get(i).name());
            }
            // and the 16-bit run differs from the float32 one
            CausalLm fp32 = TinyModels.model(dora ? TinyModels.LLAMA : json, 5);
            assertNotEquals(r1.lossSum(), fp32.forwardBackward(batch, batch.labelCount()).lossSum());
        }
    }

    /**
     * The backward pass under 16 bits computes the float32 gradients to 16-bit accuracy: every parameter's gradient
     * (full model, and LoRA/DoRA adapters) is within a few bf16 roundings of the float32 one. (No dropout here: its
     * mask is drawn from the input's values, which rounding changes.)
     */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "FP16"})
    void gradientsTrackTheFp32Gradients(Precision precision) {
        for (String adapter : List.of("none", "lora", "dora")) {
            CausalLm fp32 = small(9), half = small(9);
            for (CausalLm m : List.of(fp32, half)) {
                if (!adapter.equals("none")) {
                    var config = new dev.jllm.train.lora.LoraConfig(4, 8.0, false, List.of("q_proj", "v_proj", "down_proj"), null, 0.0)
                            .withUseDora(adapter.equals("dora"));
                    dev.jllm.train.lora.LoraAdapters.attachNew(m, config, 5);
                    for (Parameter p : m.trainableParameters()) if (p.name().contains("lora_B")) java.util.Arrays.fill(p.value(), 0.05f);
                }
            }
            half.setPrecision(precision);
            Batch batch = new dev.jllm.train.data.Collator(0).collate(RandomRows.of(6, 64, 4).examples());
            double a = fp32.forwardBackward(batch, batch.labelCount()).loss(), b = half.forwardBackward(batch, batch.labelCount()).loss();
            assertEquals(a, b, 1e-2 * a, adapter + " loss");
            double tolerance = precision == Precision.BF16 ? 5e-2 : 1e-2;
            for (int i = 0; i < fp32.trainableParameters().size(); i++) {
                float[] g = fp32.trainableParameters().get(i).grad(), h = half.trainableParameters().get(i).grad();
                double diff = 0, norm = 0;
                for (int j = 0; j < g.length; j++) {
                    diff += (g[j] - h[j]) * (double) (g[j] - h[j]);
                    norm += g[j] * (double) g[j];
                }
                String name = adapter + " " + fp32.trainableParameters().get(i).name();
                assertTrue(norm > 0, name + " has a gradient");
                assertTrue(Math.sqrt(diff / norm) < tolerance, name + ": relative gradient error " + Math.sqrt(diff / norm));
            }
        }
    }

    @Test
    void savedActivationsTakeHalfTheBytesInSixteenBits() {
        ModelConfig c = TinyModels.config(SMALL);
        Batch batch = TinyModels.batch(c.vocabSize(), 3);
        long[] bytes = new long[3];
        int i = 0;
        for (Precision p : Precision.values()) {
            CausalLm m = small(4);
            m.setPrecision(p);
            m.forwardBackward(batch, batch.labelCount());
            bytes[i++] = m.savedActivationBytes();
            long weights = 0;
            for (Parameter w : m.parameters()) if (w.shape().length == 2 && !w.name().equals("model.embed_tokens.weight")) weights += w.size();
            // the products' 16-bit weight copies: every projection and lm_head (the embedding lookup stays float32)
            assertEquals(p.reduced() ? 2 * weights : 0, m.castWeightBytes(), p + " weight copies");
        }
        long n = (long) batch.rows() * batch.seqLen(), L = c.numLayers();
        // per layer: norm outputs h1, h2; q, k, v; the attention output; gate, up, activation: what the products read
        long sixteenBit = L * n * (2L * c.hiddenSize() + 2L * c.queryDim() + 2L * c.kvDim() + 3L * c.intermediateSize());
        // float32 either way: the residual stream (xMid, xOut), rstd of both norms, one log-sum-exp per head
        long float32 = L * (n * 2L * c.hiddenSize() + 2 * n + (long) batch.rows() * c.numHeads() * batch.seqLen());
        assertEquals(4 * (sixteenBit + float32), bytes[0], "fp32");
        assertEquals(2 * sixteenBit + 4 * float32, bytes[1], "bf16");
        assertEquals(bytes[1], bytes[2], "fp16");
        System.out.printf("saved activations: fp32 %d bytes, bf16/fp16 %d bytes (%.1f%%; the 16-bit tensors %d -> %d bytes)%n",
                bytes[0], bytes[1], 100.0 * bytes[1] / bytes[0], 4 * sixteenBit, 2 * sixteenBit);
    }

    @Test
    void fp16OverflowSkipsTheStepLeavesWeightsAndSchedulerAndHalvesTheScale() {
        CausalLm model = small(6);
        model.setPrecision(Precision.FP16);
        var optimizer = new AdamW(ParamGroup.withDecay(model.trainableParameters(), 0.0));
        var schedule = LrSchedule.of(LrSchedule.Type.LINEAR, 0.01, 0, 10);
        // a scale of 2^60 makes the scaled loss gradient overflow float16 at once
        var engine = new StepEngine(model, optimizer, schedule, 1.0, new GradScaler(0x1p60f, 7));
        Dataset data = RandomRows.of(4, 64, 2);
        Batch batch = new dev.jllm.train.data.Collator(0).collate(data.examples());
        List<float[]> before = new ArrayList<>();
        for (Parameter p : model.trainableParameters()) before.add(p.value().clone());

        var report = engine.run(List.of(batch));
        assertTrue(report.skipped());
        assertTrue(Double.isFinite(report.loss()), "the loss itself is fine");
        assertFalse(Double.isFinite(report.gradNorm()), "the logged grad_norm shows the overflow");
        for (int i = 0; i < before.size(); i++) {
            assertArrayEquals(before.get(i), model.trainableParameters().get(i).value(), model.trainableParameters().get(i).name());
        }
        assertEquals(0x1p59f, engine.scaler().scale());
        assertEquals(0, engine.scaler().growthTracker());
        assertEquals(1, engine.step(), "the global step counts the skipped step");
        assertEquals(0, engine.schedulerStep(), "the scheduler did not step");
        assertEquals(0, optimizer.steps(), "the optimizer did not step");
        for (Parameter p : model.trainableParameters()) for (float g : p.grad()) assertEquals(0f, g, "gradients are cleared");

        // with a sane scale the next step runs and uses the scheduler's first learning rate
        engine.scaler().restore(new GradScaler.Snapshot(1024f, 0));
        var next = engine.run(List.of(batch));
        assertFalse(next.skipped());
        assertEquals(schedule.lr(0), next.lr());
        assertEquals(1, engine.schedulerStep());
        assertEquals(1, engine.scaler().growthTracker());
        assertNotEquals(schedule.lr(0), schedule.lr(1));
        assertEquals(1, optimizer.steps());
        assertFalse(java.util.Arrays.equals(before.getLast(), model.trainableParameters().getLast().value()), "lm_head was updated");
    }

    @Test
    void fp16StillStopsOnARealNaNLoss() throws Exception {
        CausalLm model = small(7);
        model.parameter("model.norm.weight").value()[0] = Float.NaN;
        var e = assertThrows(JllmException.class, () -> train(model, "nan", ",\"fp16\":true"));
        assertTrue(e.getMessage().contains("step 0") && e.getMessage().contains("NaN"), e.getMessage());
    }

    @Test
    void fp16ResumeIsExactAndKeepsTheScaler() throws Exception {
        Dataset data = RandomRows.of(20, 64, 8);
        String argsJson = "{\"max_steps\":6,\"per_device_train_batch_size\":2,\"gradient_accumulation_steps\":2,\"logging_steps\":1,"
                + "\"save_steps\":3,\"learning_rate\":0.02,\"warmup_steps\":2,\"lr_scheduler_type\":\"cosine\",\"seed\":5,\"fp16\":true}";
        CausalLm whole = small(12);
        var full = new Trainer(whole, TrainingArguments.defaults(dir.resolve("full").toString()).with("t", JSON.readTree(argsJson)),
                data, 0, null, new PrintWriter(new ByteArrayOutputStream()), null).train();
        Path checkpoint = dir.resolve("full/checkpoint-3");
        var state = JSON.readTree(Files.readString(checkpoint.resolve(TrainingCheckpoint.STATE_FILE)));
        assertEquals(65536.0, state.path("grad_scaler").path("scale").asDouble());
        assertEquals(3, state.path("grad_scaler").path("growth_tracker").asInt());
        assertEquals(3, state.path("scheduler_steps").asInt());

        CausalLm resumed = small(99);
        var args = TrainingArguments.defaults(dir.resolve("resumed").toString()).with("t", JSON.readTree(argsJson))
                .with("t", JSON.readTree("{\"resume_from_checkpoint\":\"" + checkpoint.toString().replace("\\", "\\\\") + "\"}"));
        var rest = new Trainer(resumed, args, data, 0, null, new PrintWriter(new ByteArrayOutputStream()), null).train();
        for (int i = 0; i < 3; i++) assertEquals(full.log().get(3 + i), rest.log().get(i));
        for (int i = 0; i < whole.parameters().size(); i++) {
            assertArrayEquals(whole.parameters().get(i).value(), resumed.parameters().get(i).value(), whole.parameters().get(i).name());
        }

        // a checkpoint with a scaler cannot silently continue without fp16, nor one without a scaler with it
        var noFp16 = TrainingArguments.defaults(dir.resolve("other").toString()).with("t", JSON.readTree(argsJson))
                .with("t", JSON.readTree("{\"fp16\":false,\"resume_from_checkpoint\":\"" + checkpoint.toString().replace("\\", "\\\\") + "\"}"));
        var e = assertThrows(JllmException.class, () -> new Trainer(small(1), noFp16, data, 0, null, new PrintWriter(new ByteArrayOutputStream()), null).train());
        assertTrue(e.getMessage().contains("fp16"), e.getMessage());
    }

    /**
     * A natural fp16 overflow, the kind GradScaler exists for: a sharp output distribution (final norm weights of 20)
     * and one label token per step make the logit gradient of a confidently wrong prediction about −scale, beyond
     * float16's 65504. The Trainer skips such steps without a scheduler step and halves the scale until the gradients
     * fit, then trains on; the log shows each skipped step's non-finite grad_norm and the scheduler's (lagging) rate,
     * and a run resumed after the skips continues exactly.
     */
    @Test
    void trainerSkipsOverflowedStepsAndResumesExactlyAfterThem() throws Exception {
        var rows = new ArrayList<dev.jllm.train.data.Example>();
        for (int i = 0; i < 8; i++) rows.add(new dev.jllm.train.data.Example(new int[]{1 + i, 17 + 5 * i}, null, null));
        Dataset data = new Dataset(rows, 0, Path.of("pairs"));
        int steps = 8;
        String argsJson = "{\"max_steps\":" + steps + ",\"per_device_train_batch_size\":1,\"logging_steps\":1,\"save_steps\":4,"
                + "\"learning_rate\":0.01,\"lr_scheduler_type\":\"linear\",\"shuffle\":false,\"fp16\":true}";
        var text = new ByteArrayOutputStream();
        CausalLm whole = sharp(21);
        var full = new Trainer(whole, TrainingArguments.defaults(dir.resolve("full").toString()).with("t", JSON.readTree(argsJson)),
                data, 0, null, new PrintWriter(text, true), null).train();
        assertTrue(text.toString().contains("step 1: fp16 gradients overflowed; update skipped, loss scale lowered to 32768.0"), text.toString());
        var schedule = LrSchedule.of(LrSchedule.Type.LINEAR, 0.01, 0, steps);
        int taken = 0, skippedBeforeCheckpoint = 0;
        for (int i = 0; i < steps; i++) {
            var entry = full.log().get(i);
            boolean skipped = !Double.isFinite(entry.gradNorm());
            if (!skipped) taken++;
            else if (i < 4) skippedBeforeCheckpoint++;
            // transformers logs the scheduler's rate, which does not move on a skipped step
            assertEquals(schedule.lr(taken), entry.learningRate(), "step " + (i + 1));
        }
        assertTrue(taken > 0 && taken < steps, taken + " of " + steps + " steps taken");
        System.out.printf("fp16 trainer: %d of %d steps skipped on overflow, %d before checkpoint-4%n", steps - taken, steps, skippedBeforeCheckpoint);
        var state = JSON.readTree(Files.readString(dir.resolve("full/checkpoint-4").resolve(TrainingCheckpoint.STATE_FILE)));
        assertEquals(4 - skippedBeforeCheckpoint, state.path("scheduler_steps").asInt());
        assertEquals(65536.0 / (1 << skippedBeforeCheckpoint), state.path("grad_scaler").path("scale").asDouble());

        CausalLm resumed = sharp(77);
        var args = TrainingArguments.defaults(dir.resolve("resumed").toString()).with("t", JSON.readTree(argsJson))
                .with("t", JSON.readTree("{\"resume_from_checkpoint\":\"" + dir.resolve("full/checkpoint-4").toString().replace("\\", "\\\\") + "\"}"));
        var rest = new Trainer(resumed, args, data, 0, null, new PrintWriter(new ByteArrayOutputStream()), null).train();
        for (int i = 0; i < steps - 4; i++) assertEquals(full.log().get(4 + i), rest.log().get(i));
        for (int i = 0; i < whole.parameters().size(); i++) {
            assertArrayEquals(whole.parameters().get(i).value(), resumed.parameters().get(i).value(), whole.parameters().get(i).name());
        }
    }

    private static CausalLm sharp(long seed) {
        CausalLm m = small(seed);
        java.util.Arrays.fill(m.parameter("model.norm.weight").value(), 20f);
        return m;
    }

    @Test
    void bf16AndFp16TogetherAreAnError() throws Exception {
        var e = assertThrows(JllmException.class, () -> TrainingArguments.defaults("o").with("t", JSON.readTree("{\"bf16\":true,\"fp16\":true}")));
        assertTrue(e.getMessage().contains("bf16") && e.getMessage().contains("fp16"), e.getMessage());
        assertEquals(Precision.BF16, TrainingArguments.defaults("o").with("t", JSON.readTree("{\"bf16\":true}")).precision());
        assertEquals(Precision.FP32, TrainingArguments.defaults("o").precision());
    }

    @Test
    void weightCopiesAreMadeOncePerUpdate() {
        CausalLm model = small(8);
        model.setPrecision(Precision.BF16);
        Batch batch = TinyModels.batch(64, 1);
        model.forwardBackward(batch, batch.labelCount());
        float[] w = model.parameter("model.layers.0.mlp.up_proj.weight").value();
        double first = model.loss(batch, batch.labelCount()).lossSum();
        w[0] += 100f;   // changed behind the model's back: the copy is still the one of this step
        assertEquals(first, model.loss(batch, batch.labelCount()).lossSum());
        model.weightsUpdated();   // what the step engine calls after the optimizer
        assertNotEquals(first, model.loss(batch, batch.labelCount()).lossSum());
    }
}
