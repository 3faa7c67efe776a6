package dev.jllm.train.pretrain;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.text.tokenizer.Tokenizer;
import dev.jllm.train.TrainingArguments;
import dev.jllm.train.model.CausalLm;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path dir;

    /** Short stories from a small grammar: word order is predictable, word frequencies are not skewed much. */
    static List<String> corpus(int documents, long seed) {
        String[] who = {"the cat", "the dog", "a bird", "the old man", "a little girl", "the fox"};
        String[] did = {"sat on", "ran to", "looked at", "jumped over", "walked around", "slept near"};
        String[] what = {"the mat", "the tree", "a red ball", "the river", "the big house", "a green hill"};
        String[] then = {"Then it was happy.", "Then it went home.", "Then it was sleepy.", "Then it sang a song."};
        Random r = new Random(seed);
        var docs = new ArrayList<String>();
        for (int d = 0; d < documents; d++) {
            var s = new StringBuilder();
            for (int k = 0; k < 3; k++) {
                String w = who[r.nextInt(who.length)];
                s.append(Character.toUpperCase(w.charAt(0))).append(w.substring(1)).append(' ')
                        .append(did[r.nextInt(did.length)]).append(' ').append(what[r.nextInt(what.length)]).append(". ")
                        .append(then[r.nextInt(then.length)]).append(' ');
            }
            docs.add(s.toString().trim());
        }
        return docs;
    }

    static ModelShape tiny() {
        return new ModelShape(32, 64, 2, 4, 2, 64, 10000.0, 1e-6, true, 0.02);
    }

    @Test
    void validationLossFallsWellBelowTheUnigramEntropyAndTheFolderGenerates() throws Exception {
        var args = TrainingArguments.defaults(dir.resolve("out").toString()).with("t", JSON.readTree(
                "{\"max_steps\":60,\"per_device_train_batch_size\":8,\"learning_rate\":0.01,\"warmup_steps\":5,"
                        + "\"lr_scheduler_type\":\"cosine\",\"logging_steps\":20,\"eval_strategy\":\"steps\",\"eval_steps\":30,"
                        + "\"save_steps\":0}"));
        var text = new StringWriter();
        var result = Pretraining.run(new Pretraining.Options(corpus(240, 1), null, 300, null, tiny(), 32, 0.1), args,
                new PrintWriter(text, true), null, null);
        String log = text.toString();
        assertTrue(log.contains("Step | Training Loss | Validation Loss"), log);
        assertTrue(result.unigramEntropy() > 2.5, "entropy " + result.unigramEntropy());
        assertTrue(result.validationLoss() < result.unigramEntropy() - 1.0,
                "validation loss " + result.validationLoss() + " vs unigram entropy " + result.unigramEntropy() + "\n" + log);
        assertEquals(Math.exp(result.validationLoss()), result.perplexity(), 1e-12);
        assertEquals(result.validationLoss(), result.train().evals().getLast().loss(), 1e-12);

        Path out = dir.resolve("out");
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        var config = JSON.readTree(out.resolve("config.json").toFile());
        assertEquals("LlamaForCausalLM", config.path("architectures").get(0).asText());
        assertEquals(result.vocabSize(), config.path("vocab_size").asInt());
        CausalLm loaded = CausalLm.load(out);
        Tokenizer tokenizer = Tokenizer.load(out);
        assertEquals(Pretraining.END_OF_TEXT, tokenizer.eosToken().orElseThrow());
        String continuation = Pretraining.greedy(loaded, tokenizer, "The cat sat on", 8);
        assertFalse(continuation.isBlank(), "greedy continuation");
        assertTrue(continuation.startsWith(" the") || continuation.startsWith(" a"), continuation);
    }

    @Test
    void initializationFollowsTransformers() {
        var args = TrainingArguments.defaults(dir.resolve("init").toString());
        var docs = corpus(40, 2);
        var shape = new ModelShape(32, 64, 1, 4, 4, 64, 10000.0, 1e-6, false, 0.05);
        var model = CausalLm.initialize(dev.jllm.model.config.ModelConfig.fromJson("c", shape.toConfigJson(300, 0, 0)), 0.05, 3);
        for (var p : model.parameters()) {
            float[] v = p.value();
            if (p.name().endsWith("norm.weight")) {
                for (float x : v) assertEquals(1.0, x);
            } else {
                double sum = 0, sq = 0;
                for (double x : v) {
                    sum += x;
                    sq += x * x;
                }
                double mean = sum / v.length, std = Math.sqrt(sq / v.length - mean * mean);
                assertEquals(0.05, std, 0.05 * 0.2, p.name());
            }
        }
        assertTrue(model.parameters().stream().anyMatch(p -> p.name().equals("lm_head.weight")));
        assertThrows(JllmException.class, () -> new ModelShape(30, 64, 1, 4, 4, 64, 1e4, 1e-6, true, 0.02));
        assertThrows(JllmException.class, () -> Pretraining.run(new Pretraining.Options(List.of("one document"), null, 300, null,
                tiny(), 32, 0.1), args, new PrintWriter(new StringWriter()), null, null));
        assertThrows(JllmException.class, () -> Pretraining.run(new Pretraining.Options(docs, null, 300, null,
                tiny(), 128, 0.1), args, new PrintWriter(new StringWriter()), null, null));
    }
}
