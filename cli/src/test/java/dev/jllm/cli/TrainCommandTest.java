package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import dev.jllm.testkit.TrainingReferences;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    /**
     * The acceptance check of issue 5: every full-finetune reference under training/ reproduced through
     * {@code jllm train} with the reference's settings — logged loss and grad norm per step, and the saved weights.
     */
    @Test
    @Tag("conformance")
    void reproducesFullFinetuneReferencesThroughTheCli() throws Exception {
        var area = new Conformance("training-cli");
        for (Path run : Fixtures.list(Fixtures.resolve("training"), p -> Files.isRegularFile(p.resolve("config.json")))) {
            JsonNode config = JSON.readTree(run.resolve("config.json").toFile());
            if (!config.path("kind").asText().equals("full")) continue;
            String name = run.getFileName().toString();
            JsonNode hp = config.path("hyperparameters");
            Path rows = dir.resolve(name + ".jsonl");
            TrainingReferences.writeRows(run, rows);
            Path out = dir.resolve(name + "-out");
            Path log = dir.resolve(name + "-log.jsonl");
            CliRun r = CliRun.run("train", "--model", Fixtures.root().resolve(hp.path("base_model").asText()).toString(),
                    "--dataset", rows.toString(), "--output-dir", out.toString(), "--no-shuffle", "--log-file", log.toString(),
                    "--learning-rate", hp.path("learning_rate").asText(), "--weight-decay", hp.path("weight_decay").asText(),
                    "--warmup-steps", hp.path("warmup_steps").asText(), "--max-steps", hp.path("num_training_steps").asText(),
                    "--max-grad-norm", hp.path("max_grad_norm").asText(), "--lr-scheduler-type", hp.path("lr_scheduler_type").asText(),
                    "--per-device-train-batch-size", hp.path("per_device_train_batch_size").asText(),
                    "--gradient-accumulation-steps", hp.path("gradient_accumulation_steps").asText(),
                    "--adam-beta1", hp.path("adam_beta1").asText(), "--adam-beta2", hp.path("adam_beta2").asText(),
                    "--adam-epsilon", hp.path("adam_epsilon").asText(), "--logging-steps", "1", "--save-steps", "0");
            area.check(name + "/exit", () -> {
                if (r.code() != 0) throw new AssertionError("exit " + r.code() + ": " + r.err());
            });
            if (r.code() != 0) continue;
            JsonNode expected = JSON.readTree(run.resolve("log.json").toFile()).path("steps");
            List<String> logged = Files.readAllLines(log);
            area.check(name + "/log", () -> {
                if (logged.size() != expected.size()) throw new AssertionError(logged.size() + " log lines, expected " + expected.size());
                for (int i = 0; i < expected.size(); i++) {
                    JsonNode line = JSON.readTree(logged.get(i));
                    relClose("step " + i + " loss", expected.get(i).path("loss").asDouble(), line.path("loss").asDouble());
                    relClose("step " + i + " grad_norm", expected.get(i).path("grad_norm").asDouble(), line.path("grad_norm").asDouble());
                }
            });
            try (var want = SafetensorsFile.open(run.resolve("final_model.safetensors"));
                 var got = SafetensorsFile.open(out.resolve("model.safetensors"))) {
                area.check(name + "/final_model", () -> {
                    for (SafeTensor t : want.tensors()) {
                        double[] e = t.toDoubleArray(), a = got.tensor(t.name()).toDoubleArray();
                        for (int i = 0; i < e.length; i++) {
                            if (!(Math.abs(e[i] - a[i]) <= 1e-4)) throw new AssertionError(t.name() + "[" + i + "]: " + e[i] + " vs " + a[i]);
                        }
                    }
                });
            }
            area.check(name + "/hf_folder", () -> {
                for (String f : List.of("config.json", "tokenizer.json", "tokenizer_config.json")) {
                    if (!Files.isRegularFile(out.resolve(f))) throw new AssertionError("missing " + f);
                }
            });
        }
        area.finish();
    }

    private static void relClose(String what, double expected, double actual) {
        if (!(Math.abs(expected - actual) <= 1e-5 * Math.abs(expected))) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    @Test
    void trainsOnTextWithTheModelsTokenizerAndLora() throws Exception {
        Path data = dir.resolve("text.jsonl");
        Files.write(data, List.of("{\"text\":\"Once upon a time, there was a cat.\"}", "{\"text\":\"The dog ran to the park.\"}",
                "{\"text\":\"Lily liked to play.\"}"));
        Path out = dir.resolve("lora");
        CliRun r = CliRun.run("train", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", data.toString(),
                "--output-dir", out.toString(), "--max-steps", "2", "--per-device-train-batch-size", "2", "--logging-steps", "1",
                "--lora-r", "2", "--learning-rate", "1e-3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("TrainOutput(global_step=2"), r.out());
        assertTrue(Files.isRegularFile(out.resolve("adapter_model.safetensors")));
        assertTrue(Files.isRegularFile(out.resolve("adapter_config.json")));
    }

    @Test
    void csvWithValidationSplitProgressBarAndCheckpointLimit() throws Exception {
        Path data = dir.resolve("rows.csv");
        Files.writeString(data, "text,source\n\"Once upon a time, there was a cat.\",a\nThe dog ran to the park.,b\n"
                + "Lily liked to play.,c\n\"Tom said \"\"hi\"\".\",d\n");
        Path out = dir.resolve("csv");
        CliRun r = CliRun.run("train", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", data.toString(),
                "--output-dir", out.toString(), "--max-steps", "3", "--per-device-train-batch-size", "2", "--logging-steps", "1",
                "--validation-split", "0.25", "--eval-strategy", "steps", "--eval-steps", "2", "--save-steps", "1",
                "--save-total-limit", "1", "--progress", "always", "--optim", "adafactor", "--learning-rate", "1e-3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 training row(s), 1 validation row(s)"), r.out());
        assertTrue(r.out().contains("Step | Training Loss | Validation Loss"), r.out());
        assertTrue(r.out().contains("'total_flos': "), r.out());
        assertTrue(r.err().contains("[3/3 ") && r.err().contains("Epoch 1.50/2]"), r.err());
        assertTrue(Files.isDirectory(out.resolve("checkpoint-2")) && !Files.exists(out.resolve("checkpoint-1")));
    }

    @Test
    void pagedEightBitAdamWTrainsAndIsDescribedInTheHelp() throws Exception {
        Path data = dir.resolve("text.jsonl");
        Files.write(data, List.of("{\"text\":\"Once upon a time, there was a cat.\"}", "{\"text\":\"The dog ran to the park.\"}"));
        // stories260K's 512 x 64 embedding is above min_8bit_size, so its moments are stored in 8 bits
        CliRun r = CliRun.run("train", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", data.toString(),
                "--output-dir", dir.resolve("p8").toString(), "--max-steps", "2", "--per-device-train-batch-size", "2",
                "--logging-steps", "1", "--optim", "paged_adamw_8bit", "--learning-rate", "1e-3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("TrainOutput(global_step=2"), r.out());
        CliRun help = CliRun.run("train", "--help");
        String words = help.out().replaceAll("\\s+", " ");   // the help wraps lines
        assertTrue(words.contains("paged_adamw_8bit") && words.contains("memory-mapped files on the CPU"), help.out());
    }

    @Test
    void plainTextPackedIntoBlocks() throws Exception {
        Path data = dir.resolve("corpus.txt");
        Files.writeString(data, "Once upon a time, there was a cat.\n\nThe dog ran to the park.\n\nLily liked to play with her ball.\n");
        CliRun r = CliRun.run("train", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", data.toString(),
                "--output-dir", dir.resolve("packed").toString(), "--max-steps", "1", "--per-device-train-batch-size", "2",
                "--pack-block-size", "8", "--learning-rate", "1e-3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("packed 3 row(s) into "), r.out());
        var m = java.util.regex.Pattern.compile("'num_tokens': (\\d+)").matcher(r.out());
        assertTrue(m.find() && Integer.parseInt(m.group(1)) == 16, r.out());
    }

    @Test
    void badDatasetLineIsReportedWithFileAndLine() throws Exception {
        Path data = dir.resolve("bad.jsonl");
        Files.write(data, List.of("{\"text\":\"fine\"}", "{\"txt\":\"wrong field\"}"));
        CliRun r = CliRun.run("train", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", data.toString(),
                "--output-dir", dir.resolve("o").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bad.jsonl:2") && r.err().contains("'text'"), r.err());
    }

    @Test
    void unknownConfigFieldAndMissingOutputDirAreErrors() throws Exception {
        Path cfg = dir.resolve("args.json");
        Files.writeString(cfg, "{\"learning_rate\": 0.1, \"bogus\": 1}");
        Path data = dir.resolve("d.jsonl");
        Files.write(data, List.of("{\"input_ids\":[1,2,3]}"));
        CliRun r = CliRun.run("train", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", data.toString(),
                "--config", cfg.toString(), "--output-dir", dir.resolve("o").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("bogus"), r.err());
        r = CliRun.run("train", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", data.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--output-dir"), r.err());
    }
}
