package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --bf16} / {@code --fp16} (TrainingArguments' bf16 / fp16) on train, finetune and pretrain's shared options. */
class MixedPrecisionCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    private Path rows() throws Exception {
        Path data = dir.resolve("text.jsonl");
        Files.write(data, List.of("{\"text\":\"Once upon a time, there was a cat.\"}", "{\"text\":\"The dog ran to the park.\"}",
                "{\"text\":\"Lily liked to play.\"}", "{\"text\":\"Tom had a red ball.\"}"));
        return data;
    }

    private CliRun train(String name, String... extra) throws Exception {
        var args = new java.util.ArrayList<>(List.of("train", "--model", Fixtures.resolve("models", "stories260K-hf").toString(),
                "--dataset", rows().toString(), "--output-dir", dir.resolve(name).toString(), "--max-steps", "3",
                "--per-device-train-batch-size", "2", "--logging-steps", "1", "--learning-rate", "1e-3", "--no-shuffle",
                "--log-file", dir.resolve(name + ".jsonl").toString()));
        args.addAll(List.of(extra));
        return CliRun.run(args.toArray(String[]::new));
    }

    private double lastLoss(String name) throws Exception {
        List<String> lines = Files.readAllLines(dir.resolve(name + ".jsonl"));
        return JSON.readTree(lines.getLast()).path("loss").asDouble();
    }

    @Test
    void bf16TrainsCloseToFp32() throws Exception {
        CliRun fp32 = train("fp32");
        assertEquals(0, fp32.code(), fp32.err());
        CliRun bf16 = train("bf16", "--bf16");
        assertEquals(0, bf16.code(), bf16.err());
        assertTrue(bf16.out().contains("Mixed precision bf16"), bf16.out());
        assertTrue(bf16.out().contains("TrainOutput(global_step=3"), bf16.out());
        double a = lastLoss("fp32"), b = lastLoss("bf16");
        System.out.println("stories260K, 3 steps: fp32 loss " + a + ", bf16 loss " + b);
        assertNotEquals(a, b);
        // bf16 logits (autocast's lm_head output) have 8 significant bits; at this low a loss that is a few percent
        assertTrue(Math.abs(a - b) / a < 3e-2, a + " vs " + b);
    }

    @Test
    void fp16FromConfigKeepsTheScalerInCheckpoints() throws Exception {
        Path cfg = dir.resolve("args.json");
        Files.writeString(cfg, "{\"fp16\": true, \"save_steps\": 2}");
        CliRun r = train("fp16", "--config", cfg.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Mixed precision fp16") && r.out().contains("dynamic loss scaling from 65536"), r.out());
        JsonNode state = JSON.readTree(dir.resolve("fp16/checkpoint-2/trainer_state.json").toFile());
        assertEquals(65536.0, state.path("grad_scaler").path("scale").asDouble());
        assertEquals(2, state.path("grad_scaler").path("growth_tracker").asInt());
        // --no-fp16 on the command line overrides the file
        CliRun plain = train("plain", "--config", cfg.toString(), "--no-fp16");
        assertEquals(0, plain.code(), plain.err());
        assertTrue(!plain.out().contains("Mixed precision"), plain.out());
    }

    @Test
    void bf16AndFp16TogetherIsAClearError() throws Exception {
        CliRun r = train("both", "--bf16", "--fp16");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("bf16 and fp16 exclude each other"), r.err());
        r = CliRun.run("finetune", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", rows().toString(),
                "--output-dir", dir.resolve("fboth").toString(), "--bf16", "--fp16");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("bf16 and fp16 exclude each other"), r.err());
    }

    @Test
    void finetuneTakesBf16AndTheHelpDescribesBoth() throws Exception {
        CliRun r = CliRun.run("finetune", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--dataset", rows().toString(),
                "--output-dir", dir.resolve("ft").toString(), "--max-steps", "2", "--save-steps", "0", "--bf16");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Mixed precision bf16"), r.out());
        assertTrue(Files.isRegularFile(dir.resolve("ft/adapter_model.safetensors")));
        for (String command : List.of("train", "finetune", "pretrain")) {
            String words = CliRun.run(command, "--help").out().replaceAll("\\s+", " ");
            assertTrue(words.contains("--[no-]bf16") && words.contains("torch.autocast") && words.contains("--[no-]fp16")
                    && words.contains("GradScaler"), command + ": " + words);
        }
    }
}
