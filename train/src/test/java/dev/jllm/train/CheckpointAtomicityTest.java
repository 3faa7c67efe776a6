package dev.jllm.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.train.data.Dataset;
import dev.jllm.train.data.Example;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.HfFolderWriter;
import dev.jllm.train.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Checkpoints appear whole or not at all, and {@code resume_from_checkpoint: true} only ever sees whole ones. */
class CheckpointAtomicityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    /** Stands for a process death in the middle of writing a checkpoint. */
    private static final class Crash extends RuntimeException {
        Crash() {
            super("simulated crash");
        }
    }

    @Test
    void aCheckpointInterruptedMidWriteIsNeverTheLatest() throws Exception {
        Trainer.writeCheckpoint(dir, 3, d -> write(d.resolve("a.txt"), "three"));
        assertThrows(Crash.class, () -> Trainer.writeCheckpoint(dir, 5, d -> {
            write(d.resolve("a.txt"), "five");
            throw new Crash();
        }));
        assertFalse(Files.exists(dir.resolve("checkpoint-5")));
        assertTrue(Files.isRegularFile(dir.resolve("tmp-checkpoint-5/a.txt")));
        assertEquals(dir.resolve("checkpoint-3"), Trainer.latestCheckpoint(dir));
        Trainer.removePartialCheckpoints(dir);
        assertFalse(Files.exists(dir.resolve("tmp-checkpoint-5")));
        assertTrue(Files.isDirectory(dir.resolve("checkpoint-3")));
        // a rerun of the same step replaces the old folder whole
        Trainer.writeCheckpoint(dir, 3, d -> write(d.resolve("b.txt"), "again"));
        assertFalse(Files.exists(dir.resolve("checkpoint-3/a.txt")));
        assertEquals("again", Files.readString(dir.resolve("checkpoint-3/b.txt")));
    }

    @Test
    void latestIsTheLargestStepNotTheNewestName() throws Exception {
        for (int step : new int[]{9, 10, 100, 20}) Trainer.writeCheckpoint(dir, step, d -> {});
        assertEquals(dir.resolve("checkpoint-100"), Trainer.latestCheckpoint(dir));
    }

    @Test
    void resumeTrueWithoutAnyCheckpointIsAClearError() throws Exception {
        var args = TrainingArguments.defaults(dir.resolve("empty").toString()).with("t", JSON.readTree(
                "{\"max_steps\":2,\"resume_from_checkpoint\":true}"));
        assertEquals(Trainer.RESUME_LATEST, args.resumeFromCheckpoint());
        var e = assertThrows(JllmException.class, () -> new Trainer(TinyModels.model(TinyModels.LLAMA, 1), args, RandomRows.of(4, 13, 1), 0, null,
                new PrintWriter(new StringWriter()), null).train());
        assertTrue(e.getMessage().contains("no checkpoint-N folder") && e.getMessage().contains("empty"), e.getMessage());
        assertEquals(null, TrainingArguments.defaults("x").with("t", JSON.readTree("{\"resume_from_checkpoint\":false}")).resumeFromCheckpoint());
    }

    @Test
    void theLogKeepsOnlyStepsTheCheckpointHoldsAndDropsACutLine() throws Exception {
        Path log = dir.resolve("log.jsonl");
        Files.writeString(log, "{\"step\":1,\"loss\":2.5}\n{\"step\":2,\"loss\":2.0}\n{\"step\":2,\"eval_loss\":2.1}\n"
                + "{\"step\":3,\"loss\":1.5}\n{\"step\":4,\"lo");
        Trainer.truncateLog(log, 2);
        assertEquals("{\"step\":1,\"loss\":2.5}\n{\"step\":2,\"loss\":2.0}\n{\"step\":2,\"eval_loss\":2.1}\n", Files.readString(log));
        Files.writeString(log, "{\"step\":1}\nnot json\n");
        var e = assertThrows(JllmException.class, () -> Trainer.truncateLog(log, 2));
        assertTrue(e.getMessage().contains("log.jsonl:2"), e.getMessage());
    }

    /**
     * A run whose second checkpoint write dies half way, resumed with {@code resume_from_checkpoint: true}, continues
     * from the first checkpoint and ends with the uninterrupted run's log and weights.
     */
    @Test
    void resumingAfterACrashMidCheckpointEqualsAnUninterruptedRun() throws Exception {
        Dataset data = RandomRows.of(12, 13, 4);
        String argsJson = "{\"max_steps\":6,\"per_device_train_batch_size\":2,\"logging_steps\":1,\"save_steps\":2,"
                + "\"learning_rate\":0.02,\"seed\":3}";
        CausalLm whole = TinyModels.model(TinyModels.LLAMA, 21);
        Path refLog = dir.resolve("ref.jsonl");
        new Trainer(whole, TrainingArguments.defaults(dir.resolve("ref").toString()).with("t", JSON.readTree(argsJson)), data, 0,
                new PrintWriter(new StringWriter()), refLog, d -> HfFolderWriter.save(whole, null, d)).train();

        Path out = dir.resolve("run");
        Path log = dir.resolve("run.jsonl");
        CausalLm crashing = TinyModels.model(TinyModels.LLAMA, 21);
        int[] saves = {0};
        var first = new Trainer(crashing, TrainingArguments.defaults(out.toString()).with("t", JSON.readTree(argsJson)), data, 0,
                new PrintWriter(new StringWriter()), log, d -> {
                    HfFolderWriter.save(crashing, null, d);
                    if (++saves[0] == 2) throw new Crash();
                });
        assertThrows(Crash.class, first::train);
        assertTrue(Files.isDirectory(out.resolve("tmp-checkpoint-4")) && !Files.exists(out.resolve("checkpoint-4")));
        assertEquals(4, Files.readAllLines(log).size());

        CausalLm resumed = TinyModels.model(TinyModels.LLAMA, 77);
        var said = new StringWriter();
        var args = TrainingArguments.defaults(out.toString()).with("t", JSON.readTree(argsJson))
                .with("t", JSON.readTree("{\"resume_from_checkpoint\":true}"));
        new Trainer(resumed, args, data, 0, new PrintWriter(said, true), log, d -> HfFolderWriter.save(resumed, null, d)).train();
        assertTrue(said.toString().contains("Resuming from " + out.resolve("checkpoint-2") + " at step 2"), said.toString());
        assertFalse(Files.exists(out.resolve("tmp-checkpoint-4")));
        assertEquals(Files.readAllLines(refLog), Files.readAllLines(log));
        for (int i = 0; i < whole.parameters().size(); i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(whole.parameters().get(i).value(), resumed.parameters().get(i).value(),
                    whole.parameters().get(i).name());
        }
    }

    private static void write(Path p, String text) {
        try {
            Files.writeString(p, text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
