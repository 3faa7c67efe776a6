package dev.jllm.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.train.data.Dataset;
import dev.jllm.train.data.Example;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    @Test
    void stepsEpochsLoggingAndSaving() throws Exception {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 1);
        var args = TrainingArguments.defaults(dir.resolve("out").toString()).with("test", JSON.readTree(
                "{\"num_train_epochs\":2,\"per_device_train_batch_size\":2,\"gradient_accumulation_steps\":2,\"logging_steps\":2,"
                        + "\"save_steps\":3,\"learning_rate\":0.01,\"warmup_ratio\":0.2}"));
        var text = new ByteArrayOutputStream();
        Path log = dir.resolve("log.jsonl");
        var trainer = new Trainer(model, args, RandomRows.of(11, 13, 2), 0, null, new java.io.PrintWriter(text, true), log);
        assertEquals(3, trainer.stepsPerEpoch());  // 6 micro-batches → 3 steps
        assertEquals(6, trainer.totalSteps());
        var out = trainer.train();
        assertEquals(6, out.globalStep());
        assertEquals(3, out.log().size());
        var lines = Files.readAllLines(log);
        assertEquals(3, lines.size());
        var first = JSON.readTree(lines.getFirst());
        assertEquals(2, first.path("step").asInt());
        assertTrue(first.has("loss") && first.has("grad_norm") && first.has("learning_rate") && first.has("epoch"));
        assertEquals(2.0, JSON.readTree(lines.getLast()).path("epoch").asDouble(), 1e-12);
        assertTrue(Files.isRegularFile(dir.resolve("out/checkpoint-3/model.safetensors")));
        try (var ckpt = Checkpoint.open(dir.resolve("out"))) {
            assertEquals(model.parameters().size(), ckpt.names().size());
        }
        assertTrue(text.toString().contains("Step | Training Loss"), text.toString());
        assertTrue(out.numTokens() > 0 && out.meanTokenAccuracy() >= 0 && out.meanTokenAccuracy() <= 1);
    }

    @Test
    void nonFiniteLossStopsWithTheStepNamed() throws Exception {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 6);
        var args = TrainingArguments.defaults(dir.resolve("nan").toString()).with("t", JSON.readTree(
                "{\"max_steps\":3,\"per_device_train_batch_size\":2,\"learning_rate\":0.01}"));
        model.parameter("model.norm.weight").value()[0] = Float.NaN;
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.jllm.core.JllmException.class, () ->
                new Trainer(model, args, RandomRows.of(4, 13, 1), 0, null, new java.io.PrintWriter(new ByteArrayOutputStream()), null).train());
        assertTrue(e.getMessage().contains("step 0") && e.getMessage().contains("NaN"), e.getMessage());
        assertTrue(!Files.exists(dir.resolve("nan/model.safetensors")), "nothing saved after a failed run");
    }

    @Test
    void resumedRunContinuesExactlyAsIfNeverStopped() throws Exception {
        Dataset data = RandomRows.of(9, 13, 8);
        String argsJson = "{\"max_steps\":6,\"per_device_train_batch_size\":2,\"gradient_accumulation_steps\":2,\"logging_steps\":1,"
                + "\"save_steps\":3,\"learning_rate\":0.02,\"warmup_steps\":2,\"lr_scheduler_type\":\"cosine\",\"seed\":5}";
        CausalLm whole = TinyModels.model(TinyModels.LLAMA, 12);
        var full = new Trainer(whole, TrainingArguments.defaults(dir.resolve("full").toString()).with("t", JSON.readTree(argsJson)),
                data, 0, null, new java.io.PrintWriter(new ByteArrayOutputStream()), null).train();
        Path checkpoint = dir.resolve("full/checkpoint-3");
        assertTrue(Files.isRegularFile(checkpoint.resolve(TrainingCheckpoint.OPTIMIZER_FILE)));

        CausalLm resumed = TinyModels.model(TinyModels.LLAMA, 99);   // different weights: the checkpoint must overwrite them
        var args = TrainingArguments.defaults(dir.resolve("resumed").toString()).with("t", JSON.readTree(argsJson))
                .with("t", JSON.readTree("{\"resume_from_checkpoint\":\"" + checkpoint.toString().replace("\\", "\\\\") + "\"}"));
        var rest = new Trainer(resumed, args, data, 0, null, new java.io.PrintWriter(new ByteArrayOutputStream()), null).train();
        assertEquals(3, rest.log().size());
        for (int i = 0; i < 3; i++) assertEquals(full.log().get(3 + i), rest.log().get(i));
        assertEquals(full.trainingLoss(), rest.trainingLoss());
        for (int i = 0; i < whole.parameters().size(); i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(whole.parameters().get(i).value(), resumed.parameters().get(i).value(),
                    whole.parameters().get(i).name());
        }
    }

    @Test
    void sameSeedSameRun() throws Exception {
        double[] losses = new double[2];
        for (int i = 0; i < 2; i++) {
            CausalLm model = TinyModels.model(TinyModels.QWEN3, 4);
            var args = TrainingArguments.defaults(dir.resolve("o" + i).toString()).with("t", JSON.readTree(
                    "{\"max_steps\":4,\"per_device_train_batch_size\":3,\"logging_steps\":1,\"learning_rate\":0.01,\"seed\":7}"));
            losses[i] = new Trainer(model, args, RandomRows.of(10, 11, 3), 0, null, new java.io.PrintWriter(new ByteArrayOutputStream()), null).train().trainingLoss();
        }
        assertEquals(losses[0], losses[1]);
    }

    @Test
    void trainingLowersTheLossOnARepeatedPattern() throws Exception {
        CausalLm model = TinyModels.model(TinyModels.MISTRAL, 5);
        var ex = new ArrayList<Example>();
        for (int i = 0; i < 8; i++) ex.add(new Example(new int[]{1, 2, 3, 4, 5, 6, 7, 8}, null, null));
        var args = TrainingArguments.defaults(dir.resolve("p").toString()).with("t", JSON.readTree(
                "{\"max_steps\":30,\"per_device_train_batch_size\":4,\"logging_steps\":1,\"learning_rate\":0.03,\"lr_scheduler_type\":\"constant\"}"));
        var out = new Trainer(model, args, new Dataset(ex, 0, Path.of("m")), 0, null, new java.io.PrintWriter(new ByteArrayOutputStream()), null).train();
        assertTrue(out.log().getLast().loss() < 0.3 * out.log().getFirst().loss(), out.log().getFirst() + " -> " + out.log().getLast());
    }
}
