package dev.jllm.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import dev.jllm.testkit.TrainingReferences;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.optim.AdamW;
import java.nio.file.Files;
import dev.jllm.train.data.Batch;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.Parameter;
import dev.jllm.train.optim.ParamGroup;
import dev.jllm.train.schedule.LrSchedule;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Shared replay of the {@code training/} reference runs. */
final class ReferenceRuns {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final double LOSS_RTOL = 1e-5;
    static final double GRAD_ATOL = 1e-5;
    static final double WEIGHT_ATOL = 1e-4;

    private ReferenceRuns() {}

    static LrSchedule schedule(JsonNode hp) {
        var type = LrSchedule.Type.parse(hp.path("lr_scheduler_type").asText());
        var base = LrSchedule.of(type, hp.path("learning_rate").asDouble(), hp.path("warmup_steps").asInt(), hp.path("num_training_steps").asInt());
        double cycles = hp.has("num_cycles") ? hp.path("num_cycles").asDouble() : base.numCycles();
        return new LrSchedule(type, base.baseLr(), base.warmupSteps(), base.totalSteps(), cycles, base.lrEnd(), base.power(), 0);
    }

    static List<List<Batch>> steps(Path inputs) throws Exception {
        JsonNode root = JSON.readTree(inputs.toFile());
        var steps = new ArrayList<List<Batch>>();
        for (JsonNode step : root.path("steps")) {
            var micro = new ArrayList<Batch>();
            for (JsonNode mb : step.path("micro_batches")) {
                micro.add(Batch.of(matrix(mb.path("input_ids")), matrix(mb.path("attention_mask")), matrix(mb.path("labels"))));
            }
            steps.add(micro);
        }
        return steps;
    }

    static int[][] matrix(JsonNode rows) {
        int[][] m = new int[rows.size()][];
        for (int r = 0; r < rows.size(); r++) {
            JsonNode row = rows.get(r);
            m[r] = new int[row.size()];
            for (int c = 0; c < row.size(); c++) m[r][c] = row.get(c).asInt();
        }
        return m;
    }

    /** The run's documented decay / no-decay lists must be exactly what {@link ParamGroup#decays} decides. */
    static void checkDecaySets(Conformance area, String run, JsonNode config, List<Parameter> trainable, String prefix) {
        area.check(run + "/decay_sets", () -> {
            var decayed = new TreeSet<String>();
            var plain = new TreeSet<String>();
            for (Parameter p : trainable) (ParamGroup.decays(p.name()) ? decayed : plain).add(prefix + p.name());
            var expectedDecayed = new TreeSet<String>();
            config.path("decayed_parameters").forEach(n -> expectedDecayed.add(n.asText()));
            var expectedPlain = new TreeSet<String>();
            config.path("non_decayed_parameters").forEach(n -> expectedPlain.add(n.asText()));
            if (!decayed.equals(expectedDecayed)) throw new AssertionError("decayed " + decayed + " != " + expectedDecayed);
            if (!plain.equals(expectedPlain)) throw new AssertionError("not decayed " + plain + " != " + expectedPlain);
        });
    }

    /** Replays every step of {@code inputs.json}, checking {@code log.json} and the step-0 gradients. */
    static void replaySteps(Conformance area, Path run, String name, StepEngine engine, List<Parameter> trainable, String prefix) throws Exception {
        JsonNode log = JSON.readTree(run.resolve("log.json").toFile()).path("steps");
        List<List<Batch>> steps = steps(run.resolve("inputs.json"));
        if (steps.size() != log.size()) {
            area.fail(name, steps.size() + " input steps but " + log.size() + " logged steps");
            return;
        }
        for (int s = 0; s < steps.size(); s++) {
            JsonNode expected = log.get(s);
            var results = engine.accumulate(steps.get(s));
            if (s == 0) {
                try (var grads = SafetensorsFile.open(run.resolve("grads_step0.safetensors"))) {
                    Map<String, Parameter> byName = new HashMap<>();
                    for (Parameter p : trainable) byName.put(prefix + p.name(), p);
                    context = name + " grads_step0";
                    area.check(name + "/grads_step0", () -> {
                        if (grads.tensors().size() != byName.size()) {
                            throw new AssertionError(grads.tensors().size() + " reference gradients for " + byName.size() + " trainable parameters");
                        }
                        for (SafeTensor t : grads.tensors()) {
                            Parameter p = byName.get(t.name());
                            if (p == null) throw new AssertionError("no trainable parameter " + t.name());
                            assertClose(t, p.grad(), GRAD_ATOL);
                        }
                    });
                }
            }
            var report = engine.apply(results);
            context = name + " steps";
            int step = s;
            area.check(name + "/step" + s, () -> {
                relClose("loss", expected.path("loss").asDouble(), report.loss(), LOSS_RTOL);
                relClose("grad_norm", expected.path("grad_norm").asDouble(), report.gradNorm(), LOSS_RTOL);
                relClose("clip_coef", expected.path("clip_coef").asDouble(), report.clipCoef(), LOSS_RTOL);
                relClose("lr", expected.path("lr").asDouble(), report.lr(), 1e-12);
                if (report.numItemsInBatch() != expected.path("num_items_in_batch").asInt()) {
                    throw new AssertionError("num_items_in_batch " + report.numItemsInBatch() + " != " + expected.path("num_items_in_batch").asInt());
                }
                JsonNode micro = expected.path("micro_batch_losses");
                for (int i = 0; i < micro.size(); i++) {
                    relClose("micro_batch_losses[" + i + "]", micro.get(i).asDouble(), report.microBatchLosses().get(i), LOSS_RTOL);
                }
            });
        }
    }

    /**
     * Runs a full-finetune reference through {@link Trainer} the way a user would: its rows as a pre-tokenized JSON
     * Lines file (temporary), file order, the reference's hyper-parameters; then compares the logged losses and
     * gradient norms and the saved {@code model.safetensors}.
     */
    static void replayWithTrainer(Conformance area, Path run, JsonNode config, String run0) throws Exception {
        String name = run0 + "/trainer";
        JsonNode hp = config.path("hyperparameters");
        Path base = Fixtures.root().resolve(hp.path("base_model").asText());
        Path work = Files.createTempDirectory("jllm-train-conf");
        try {
            Path jsonl = work.resolve("rows.jsonl");
            TrainingReferences.writeRows(run, jsonl);
            var overrides = JSON.createObjectNode();
            for (String f : List.of("learning_rate", "weight_decay", "warmup_steps", "per_device_train_batch_size",
                    "gradient_accumulation_steps", "adam_beta1", "adam_beta2", "adam_epsilon", "lr_scheduler_type", "max_grad_norm")) {
                overrides.set(f, hp.get(f));
            }
            overrides.put("max_steps", hp.path("num_training_steps").asInt());
            overrides.put("logging_steps", 1);
            overrides.put("save_steps", 0);
            overrides.put("shuffle", false);
            var args = TrainingArguments.defaults(work.resolve("out").toString()).with(run0, overrides);
            CausalLm model = CausalLm.load(base);
            var dataset = dev.jllm.train.data.Dataset.load(jsonl, "text", null, model.config().vocabSize(), model.config().maxPositionEmbeddings(), true);
            Trainer.TrainOutput output = new Trainer(model, args, dataset, 0, base,
                    new java.io.PrintWriter(java.io.OutputStream.nullOutputStream()), null).train();
            JsonNode log = JSON.readTree(run.resolve("log.json").toFile()).path("steps");
            context = name + " trainer";
            area.check(name + "/trainer_log", () -> {
                if (output.log().size() != log.size()) throw new AssertionError(output.log().size() + " log rows, expected " + log.size());
                for (int i = 0; i < log.size(); i++) {
                    relClose("step " + i + " loss", log.get(i).path("loss").asDouble(), output.log().get(i).loss(), LOSS_RTOL);
                    relClose("step " + i + " grad_norm", log.get(i).path("grad_norm").asDouble(), output.log().get(i).gradNorm(), LOSS_RTOL);
                }
            });
            try (var expected = SafetensorsFile.open(run.resolve("final_model.safetensors"));
                 var saved = SafetensorsFile.open(work.resolve("out").resolve("model.safetensors"))) {
                area.check(name + "/trainer_saved_model", () -> {
                    if (saved.tensors().size() != expected.tensors().size()) throw new AssertionError(saved.tensors().size() + " tensors saved");
                    for (SafeTensor t : expected.tensors()) assertClose(t, saved.tensor(t.name()).toDoubleArray(), WEIGHT_ATOL);
                });
            }
        } finally {
            deleteTree(work);
        }
    }

    static void deleteTree(Path root) throws java.io.IOException {
        try (var walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    /** Largest deviation seen per quantity, printed after the conformance summary (for closing notes). */
    static final java.util.Map<String, Double> WORST = new java.util.TreeMap<>();
    static String context = "";

    static void printWorst() {
        WORST.forEach((k, v) -> System.out.printf("  worst %-40s %.3g%n", k, v));
    }

    static void relClose(String what, double expected, double actual, double rtol) {
        double scale = Math.max(Math.abs(expected), 1e-12);
        WORST.merge(context + " " + what.replaceAll("\\d+", "#") + " (rel)", Math.abs(expected - actual) / scale, Math::max);
        if (Math.abs(expected - actual) > rtol * scale && Math.abs(expected - actual) > 1e-12) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual + " (rel " + Math.abs(expected - actual) / scale + ")");
        }
    }

    static void assertClose(SafeTensor expected, float[] actual, double atol) {
        double[] wide = new double[actual.length];
        for (int i = 0; i < wide.length; i++) wide[i] = actual[i];
        assertClose(expected, wide, atol);
    }

    static void assertClose(SafeTensor expected, double[] actual, double atol) {
        double[] e = expected.toDoubleArray();
        if (e.length != actual.length) throw new AssertionError(expected.name() + ": " + e.length + " reference values, " + actual.length + " here");
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            double d = Math.abs(e[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        WORST.merge(context + " |diff|", worst, Math::max);
        if (!(worst <= atol)) {
            throw new AssertionError(expected.name() + ": max |diff| " + worst + " at " + at + " (expected " + e[at] + ", got " + actual[at] + ") > " + atol);
        }
    }

    static void replayLora(Conformance area, Path run, JsonNode config, String name) throws Exception {
        JsonNode hp = config.path("hyperparameters");
        CausalLm model = CausalLm.load(Fixtures.root().resolve(hp.path("base_model").asText()));
        LoraConfig lora = LoraAdapters.attach(model, run.resolve("initial_adapter"));
        area.check(name + "/adapter_config", () -> {
            if (lora.r() != hp.path("r").asInt() || lora.loraAlpha() != hp.path("lora_alpha").asDouble()
                    || lora.useRslora() != hp.path("use_rslora").asBoolean()) {
                throw new AssertionError("adapter config " + lora + " disagrees with config.json " + hp);
            }
        });
        String prefix = LoraAdapters.PEFT_PREFIX;
        checkDecaySets(area, name, config, model.trainableParameters(), prefix);
        var groups = ParamGroup.withDecay(model.trainableParameters(), hp.path("weight_decay").asDouble());
        var optimizer = new AdamW(groups, hp.path("adam_beta1").asDouble(), hp.path("adam_beta2").asDouble(), hp.path("adam_epsilon").asDouble());
        var engine = new StepEngine(model, optimizer, schedule(hp), hp.path("max_grad_norm").asDouble());
        replaySteps(area, run, name, engine, model.trainableParameters(), prefix);
        Path saved = Files.createTempDirectory("jllm-lora");
        LoraAdapters.save(model, lora, saved, "stories260K-hf");
        context = name + " final_adapter";
        try (var expected = SafetensorsFile.open(run.resolve("final_adapter").resolve(LoraAdapters.WEIGHTS));
             var written = SafetensorsFile.open(saved.resolve(LoraAdapters.WEIGHTS))) {
            area.check(name + "/final_adapter", () -> {
                if (written.tensors().size() != expected.tensors().size()) {
                    throw new AssertionError(written.tensors().size() + " adapter tensors written, " + expected.tensors().size() + " expected");
                }
                for (SafeTensor t : expected.tensors()) assertClose(t, written.tensor(t.name()).toDoubleArray(), WEIGHT_ATOL);
                LoraConfig reread = LoraConfig.read(saved);
                if (!reread.equals(lora)) throw new AssertionError("saved adapter config reads back as " + reread);
            });
        } finally {
            try (var files = Files.list(saved)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(saved);
        }
    }

    /** The PEFT merge of a reference adapter: merged weights and the logits of merged and unmerged models. */
    static void checkMerged(Conformance area, Path run, String name) throws Exception {
        JsonNode report = JSON.readTree(run.resolve("report.json").toFile());
        Path adapter = Fixtures.root().resolve(report.path("adapter").asText());
        Path base = Fixtures.root().resolve("models/stories260K-hf");
        JsonNode sequences = JSON.readTree(run.resolve("inputs.json").toFile()).path("sequences");
        CausalLm unmerged = CausalLm.load(base);
        LoraAdapters.attach(unmerged, adapter);
        CausalLm merged = CausalLm.load(base);
        LoraAdapters.attach(merged, adapter);
        LoraAdapters.merge(merged);
        try (var expected = SafetensorsFile.open(run.resolve("merged_model.safetensors"));
             var logits = SafetensorsFile.open(run.resolve("logits.safetensors"))) {
            context = name + " merged_model";
            area.check(name + "/merged_model", () -> {
                for (SafeTensor t : expected.tensors()) assertClose(t, merged.parameter(t.name()).value(), 1e-5);
            });
            for (int i = 0; i < sequences.size(); i++) {
                int[][] ids = {matrix(sequences)[i]};
                int[][] mask = {new int[ids[0].length]};
                java.util.Arrays.fill(mask[0], 1);
                Batch batch = Batch.of(ids, mask, ids);
                int seq = i;
                context = name + " logits";
                area.check(name + "/seq" + i + "/merged_logits", () ->
                        assertClose(logits.tensor("seq" + seq + ".logits_merged_fp64"), merged.logits(batch), 1e-4));
                area.check(name + "/seq" + i + "/unmerged_logits", () ->
                        assertClose(logits.tensor("seq" + seq + ".logits_unmerged_lora_fp32"), unmerged.logits(batch), 1e-4));
            }
        }
    }
}
