package dev.jllm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QloraBenchCommandTest {
    @TempDir
    Path dir;

    @Test
    void measuresPeakMemoryAndComparesStepTimesOnATinyRandomModel() {
        CliRun q = CliRun.run("bench-qlora", "--shape", "tiny", "--cache", dir.toString(), "--seq-len", "32", "--batch-size", "2",
                "--lora-r", "4", "--steps", "1");
        assertEquals(0, q.code(), q.err());
        assertTrue(q.out().contains("generating " + dir.resolve("random-hf-tiny-bf16")), q.out());
        assertTrue(Files.isRegularFile(dir.resolve("random-hf-tiny-bf16/model.safetensors")));
        assertTrue(q.out().matches("(?s).*QLoRA \\(NF4 \\+ double quant, compute dtype bfloat16, r=4 all linear, seq 32 x batch 2, "
                + "gradient checkpointing on\\): best step [0-9.]+ s, peak RSS [0-9.]+ MiB.*"), q.out());
        assertTrue(q.out().matches("(?s).*max heap [0-9]+ MiB, collectors \\[.*"), q.out());

        CliRun f32 = CliRun.run("bench-qlora", "--shape", "tiny", "--cache", dir.toString(), "--seq-len", "32", "--batch-size", "2",
                "--lora-r", "4", "--steps", "1", "--compute-dtype", "float32");
        assertEquals(0, f32.code(), f32.err());
        assertTrue(f32.out().contains("compute dtype float32"), f32.out());

        CliRun c = CliRun.run("bench-qlora", "--shape", "tiny", "--cache", dir.toString(), "--seq-len", "32", "--batch-size", "2",
                "--lora-r", "4", "--steps", "2", "--mode", "compare");
        assertEquals(0, c.code(), c.err());
        assertTrue(!c.out().contains("generating"), "the cached model is reused: " + c.out());
        assertTrue(c.out().contains("round 2: QLoRA"), c.out());
        assertTrue(c.out().matches("(?s).*best step: QLoRA [0-9.]+ s, LoRA on bf16 base [0-9.]+ s, ratio [0-9.]+ \\(goal <= 1.3\\).*"), c.out());
        assertTrue(c.out().matches("(?s).*best step CPU time: QLoRA [0-9.]+ s, LoRA on bf16 base [0-9.]+ s, ratio [0-9.]+.*"), c.out());

        CliRun bad = CliRun.run("bench-qlora", "--shape", "tiny", "--cache", dir.toString(), "--mode", "fast");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--mode must be qlora or compare"), bad.err());
    }
}
