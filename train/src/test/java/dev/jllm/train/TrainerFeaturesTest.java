package dev.jllm.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.train.data.Dataset;
import dev.jllm.train.data.Example;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.TinyModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Validation loss in the table, progress bar, checkpoint rotation, TrainOutput figures, group_by_length, adafactor. */
class TrainerFeaturesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    private TrainingArguments args(String name, String json) throws Exception {
        return TrainingArguments.defaults(dir.resolve(name).toString()).with("test", JSON.readTree(json));
    }

    @Test
    void validationLossIsEvaluatedAndTabulated() throws Exception {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 1);
        Dataset validation = RandomRows.of(5, 13, 9);
        double before = new Trainer(model, args("x", "{}"), RandomRows.of(2, 13, 1), 0, null, new PrintWriter(new StringWriter()), null).evaluate(validation);
        var text = new StringWriter();
        Path log = dir.resolve("log.jsonl");
        var trainer = new Trainer(model, args("out", "{\"max_steps\":6,\"per_device_train_batch_size\":2,\"logging_steps\":2,"
                + "\"eval_strategy\":\"steps\",\"eval_steps\":3,\"learning_rate\":0.01,\"save_steps\":0}"),
                RandomRows.of(8, 13, 2), 0, null, new PrintWriter(text, true), log).withEvalDataset(validation);
        var out = trainer.train();
        assertEquals(List.of(3, 6), out.evals().stream().map(Trainer.EvalEntry::step).toList());
        String table = text.toString();
        assertTrue(table.contains("Step | Training Loss | Validation Loss"), table);
        // step 2 logged only, step 3 evaluated only (with the last logged loss), step 6 both
        String step2 = String.format(java.util.Locale.ROOT, "%.6f", out.log().get(0).loss());
        assertTrue(table.contains("2 | " + step2 + " | No log"), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "3 | %s | %.6f", step2, out.evals().get(0).loss())), table);
        assertTrue(table.contains(String.format(java.util.Locale.ROOT, "6 | %.6f | %.6f", out.log().getLast().loss(), out.evals().getLast().loss())), table);
        assertEquals(out.evals().getLast().loss(), trainer.evaluate(validation), 1e-12);
        assertNotEquals(before, out.evals().getLast().loss());
        var evalLines = Files.readAllLines(log).stream().filter(l -> l.contains("eval_loss")).toList();
        assertEquals(2, evalLines.size());
        assertEquals(3, JSON.readTree(evalLines.getFirst()).path("step").asInt());
    }

    @Test
    void evalLossAveragesBatchMeansOverRowsAsTransformers() throws Exception {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 4);
        var a = new Example(new int[]{1, 2, 3, 4, 5, 6, 7}, null, null);
        var b = new Example(new int[]{8, 9, 10}, null, null);
        var collator = new dev.jllm.train.data.Collator(0);
        var ra = model.loss(collator.collate(List.of(a)), 1.0);
        var rb = model.loss(collator.collate(List.of(b)), 1.0);
        var trainer = new Trainer(model, args("v", "{\"per_device_eval_batch_size\":1}"), RandomRows.of(2, 13, 1), 0, null,
                new PrintWriter(new StringWriter()), null);
        double perRow = (ra.lossSum() / ra.tokens() + rb.lossSum() / rb.tokens()) / 2;
        assertEquals(perRow, trainer.evaluate(new Dataset(List.of(a, b), 0, Path.of("m"))), 1e-12);
        // one batch of both rows: its token mean
        var both = new Trainer(model, args("w", "{\"per_device_eval_batch_size\":2}"), RandomRows.of(2, 13, 1), 0, null,
                new PrintWriter(new StringWriter()), null);
        assertEquals((ra.lossSum() + rb.lossSum()) / (ra.tokens() + rb.tokens()), both.evaluate(new Dataset(List.of(a, b), 0, Path.of("m"))), 1e-12);
    }

    @Test
    void evalStrategyWithoutValidationRowsIsAnError() throws Exception {
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.jllm.core.JllmException.class, () ->
                new Trainer(TinyModels.model(TinyModels.LLAMA, 1), args("n", "{\"max_steps\":1,\"eval_strategy\":\"steps\"}"),
                        RandomRows.of(2, 13, 1), 0, null, new PrintWriter(new StringWriter()), null).train());
        assertTrue(e.getMessage().contains("eval_strategy 'steps' needs validation rows"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertThrows(dev.jllm.core.JllmException.class, () -> args("n", "{\"eval_strategy\":\"sometimes\"}"));
        org.junit.jupiter.api.Assertions.assertThrows(dev.jllm.core.JllmException.class, () -> args("n", "{\"save_total_limit\":-1}"));
        assertEquals(7.0, args("n", "{\"logging_steps\":7,\"eval_steps\":null}").effectiveEvalSteps());
    }

    @Test
    void epochStrategyEvaluatesAtEachEpochEnd() throws Exception {
        var out = new Trainer(TinyModels.model(TinyModels.QWEN2, 2), args("e", "{\"num_train_epochs\":3,\"per_device_train_batch_size\":4,"
                + "\"eval_strategy\":\"epoch\",\"learning_rate\":0.01,\"save_steps\":0}"), RandomRows.of(8, 10, 4), 0, null,
                new PrintWriter(new StringWriter()), null).withEvalDataset(RandomRows.of(3, 10, 5)).train();
        assertEquals(List.of(2, 4, 6), out.evals().stream().map(Trainer.EvalEntry::step).toList());
    }

    @Test
    void saveTotalLimitKeepsTheNewestCheckpoints() throws Exception {
        new Trainer(TinyModels.model(TinyModels.LLAMA, 3), args("r", "{\"max_steps\":7,\"per_device_train_batch_size\":2,"
                + "\"save_steps\":1,\"save_total_limit\":2,\"learning_rate\":0.01}"), RandomRows.of(6, 13, 1), 0, null,
                new PrintWriter(new StringWriter()), null).train();
        try (var list = Files.list(dir.resolve("r"))) {
            assertEquals(List.of("checkpoint-5", "checkpoint-6"), list.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void trainOutputCountsFlosAsTransformers() throws Exception {
        CausalLm model = TinyModels.model(TinyModels.LLAMA, 3);
        var ex = List.of(new Example(new int[]{1, 2, 3}, null, null), new Example(new int[]{4, 5, 6, 7, 8}, null, null));
        var out = new Trainer(model, args("f", "{\"max_steps\":1,\"per_device_train_batch_size\":2,\"learning_rate\":0.01,\"shuffle\":false}"),
                new Dataset(ex, 0, Path.of("m")), 0, null, new PrintWriter(new StringWriter()), null).train();
        long params = 0;
        for (var p : model.parameters()) if (!p.name().equals("model.embed_tokens.weight")) params += p.size();
        // one batch of 2 rows padded to 5: 10 input positions
        assertEquals(6.0 * params * 10, out.totalFlos(), 1e-6);
        assertEquals(8, out.numTokens());
        assertTrue(out.describe().startsWith("TrainOutput(global_step=1, training_loss="), out.describe());
        assertTrue(out.describe().contains("'total_flos': ") && out.describe().contains("'mean_token_accuracy': "), out.describe());
    }

    @Test
    void progressBarShowsElapsedAndEtaAsTransformers() throws Exception {
        assertEquals("[ 5/79 00:10 < 02:28, 0.50 it/s, Epoch 0.06/1]", ProgressBar.render(5, 79, 10, 0.0633, 1));
        assertEquals("[79/79 16:28, Epoch 1/1]", ProgressBar.render(79, 79, 988, 1, 1));
        assertEquals("1:01:01", ProgressBar.formatTime(3661));
        // resumed at step 40: 10 steps in 20 s → 0.50 it/s, 29 steps left → 00:58
        assertEquals("[50/79 00:20 < 00:58, 0.50 it/s, Epoch 0.63/1]", ProgressBar.render(50, 40, 79, 20, 0.633, 1));
        assertEquals("[0/4 00:00 < ??:??, Epoch 0/2]", ProgressBar.render(0, 4, 0, 0, 2));
        long[] now = {0};
        var err = new StringWriter();
        new Trainer(TinyModels.model(TinyModels.LLAMA, 3), args("p", "{\"max_steps\":2,\"per_device_train_batch_size\":2,\"learning_rate\":0.01}"),
                RandomRows.of(4, 13, 1), 0, null, new PrintWriter(new StringWriter()), null)
                .withClock(() -> now[0] += 1_000_000_000L).withProgressBar(new PrintWriter(err)).train();
        String bar = err.toString();
        assertTrue(bar.contains("\r[1/2 ") && bar.endsWith("[2/2 00:03, Epoch 1/1]" + System.lineSeparator()), bar);
    }

    @Test
    void groupByLengthPutsTheLongestRowFirst() throws Exception {
        var ex = new ArrayList<Example>();
        for (int i = 0; i < 16; i++) ex.add(new Example(new int[1 + (i * 7) % 16], null, null));
        var trainer = new Trainer(TinyModels.model(TinyModels.LLAMA, 3), args("g", "{\"max_steps\":1,\"per_device_train_batch_size\":2,"
                + "\"group_by_length\":true}"), new Dataset(ex, 0, Path.of("m")), 0, null, new PrintWriter(new StringWriter()), null);
        var batches = trainer.microBatches(0);
        assertEquals(16, ex.get(batches.getFirst()[0]).length());
        var seen = new java.util.TreeSet<Integer>();
        for (int[] b : batches) for (int r : b) assertTrue(seen.add(r));
        assertEquals(16, seen.size());
    }

    @Test
    void adafactorTrainsThroughTheTrainerAndResumes() throws Exception {
        Dataset data = RandomRows.of(8, 13, 3);
        String json = "{\"max_steps\":4,\"per_device_train_batch_size\":2,\"optim\":\"adafactor\",\"learning_rate\":0.01,\"save_steps\":2,"
                + "\"logging_steps\":1,\"weight_decay\":0.1}";
        CausalLm whole = TinyModels.model(TinyModels.LLAMA, 8);
        var full = new Trainer(whole, args("a", json), data, 0, null, new PrintWriter(new StringWriter()), null).train();
        assertTrue(full.log().getLast().loss() < full.log().getFirst().loss());
        CausalLm resumed = TinyModels.model(TinyModels.LLAMA, 77);
        var rest = new Trainer(resumed, args("b", json).with("t", JSON.readTree("{\"resume_from_checkpoint\":\""
                + dir.resolve("a/checkpoint-2").toString().replace("\\", "\\\\") + "\"}")), data, 0, null, new PrintWriter(new StringWriter()), null).train();
        assertEquals(full.log().getLast(), rest.log().getLast());
        assertFalse(rest.log().isEmpty());
    }

    /** Llama whose embedding and head (600 x 8 = 4800 values) are above min_8bit_size, so their state is 8-bit. */
    private static final String WIDE_VOCAB = """
            {"architectures":["LlamaForCausalLM"],"vocab_size":600,"hidden_size":8,"intermediate_size":12,
             "num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,
             "tie_word_embeddings":false,"rms_norm_eps":1e-5,"rope_theta":100.0}""";

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"adamw_8bit", "paged_adamw_8bit"})
    void eightBitAdamWTrainsThroughTheTrainerAndResumesExactly(String optim) throws Exception {
        Dataset data = RandomRows.of(8, 600, 4);
        String json = "{\"max_steps\":6,\"per_device_train_batch_size\":4,\"optim\":\"" + optim + "\",\"learning_rate\":0.02,"
                + "\"save_steps\":3,\"logging_steps\":1,\"weight_decay\":0.1}";
        CausalLm whole = CausalLm.initialize(TinyModels.config(WIDE_VOCAB), 0.4, 5);
        var full = new Trainer(whole, args("a", json), data, 0, null, new PrintWriter(new StringWriter()), null).train();
        assertTrue(full.log().getLast().loss() < full.log().getFirst().loss(), full.log().toString());
        CausalLm resumed = CausalLm.initialize(TinyModels.config(WIDE_VOCAB), 0.4, 66);
        var rest = new Trainer(resumed, args("b", json).with("t", JSON.readTree("{\"resume_from_checkpoint\":\""
                + dir.resolve("a/checkpoint-3").toString().replace("\\", "\\\\") + "\"}")), data, 0, null, new PrintWriter(new StringWriter()), null).train();
        assertEquals(full.log().getLast(), rest.log().getLast());
        for (int i = 0; i < whole.parameters().size(); i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(whole.parameters().get(i).value(), resumed.parameters().get(i).value(),
                    whole.parameters().get(i).name());
        }
    }
}
