package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Fixtures;
import dev.jllm.train.lora.LoraAdapters;
import dev.jllm.train.lora.LoraConfig;
import dev.jllm.train.model.CausalLm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EvalCommandTest {
    @TempDir
    Path dir;

    private static String model() {
        return Fixtures.resolve("models", "stories260K-hf").toString();
    }

    /**
     * Base run, then the same model with a freshly initialized LoRA adapter (B = 0, so the merge changes nothing):
     * the report holds both runs and the adapter run's outputs equal the base run's.
     */
    @Test
    void lamimiBeforeAfterWithAdapterAndReport() throws Exception {
        Path before = dir.resolve("before.json");
        CliRun r1 = CliRun.run("eval", "--model", model(), "--task", "lamini-qa", "--datasets", Fixtures.resolve("datasets").toString(),
                "--limit", "3", "--max-new-tokens", "8", "--metrics", "exact_match,bleu,rouge,perplexity", "--output", before.toString());
        assertEquals(0, r1.code(), r1.err());
        JsonNode out1 = new ObjectMapper().readTree(r1.out());
        assertEquals(3, out1.get("examples").asInt());
        assertTrue(out1.get("metrics").get("perplexity").asDouble() > 1);

        CausalLm lm = CausalLm.load(Path.of(model()));
        LoraConfig cfg = new LoraConfig(4, 8, false, List.of("q_proj", "v_proj"), null);
        LoraAdapters.attachNew(lm, cfg, 1);
        Path adapter = dir.resolve("adapter");
        LoraAdapters.save(lm, cfg, adapter, model());

        Path after = dir.resolve("after.json");
        Path html = dir.resolve("report.html");
        CliRun r2 = CliRun.run("eval", "--model", model(), "--adapter", adapter.toString(), "--task", "lamini-qa", "--datasets",
                Fixtures.resolve("datasets").toString(), "--limit", "3", "--max-new-tokens", "8", "--metrics",
                "exact_match,bleu,rouge,perplexity", "--output", after.toString(), "--compare", before.toString(), "--html", html.toString());
        assertEquals(0, r2.code(), r2.err());
        JsonNode a = new ObjectMapper().readTree(after.toFile());
        JsonNode b = new ObjectMapper().readTree(before.toFile());
        for (int i = 0; i < 3; i++) {
            assertEquals(b.get("examples").get(i).get("predictions"), a.get("examples").get(i).get("predictions"));
        }
        assertEquals(b.get("metrics").get("perplexity").asDouble(), a.get("metrics").get("perplexity").asDouble(), 1e-4);
        String report = Files.readString(html);
        assertTrue(report.contains("stories260K-hf") && report.contains("adapter"), "both runs are labelled");
        assertTrue(report.contains("change (last − first)"));

        CliRun only = CliRun.run("eval", "--compare", before.toString(), "--compare", after.toString(), "--html", dir.resolve("r2.html").toString());
        assertEquals(0, only.code(), only.err());
        assertTrue(Files.exists(dir.resolve("r2.html")));
    }

    @Test
    void badInputIsOneLine() throws Exception {
        CliRun r = CliRun.run("eval", "--model", model(), "--task", "no-such-task");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("neither a built-in task"), r.err());
        CliRun m = CliRun.run("eval", "--model", model(), "--task", "lamini-qa", "--datasets", Fixtures.resolve("datasets").toString(),
                "--metrics", "pass@1");
        assertTrue(m.err().contains("does not apply"), m.err());
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"x\", \"choices\": [\"a\"], \"gold\": 3}\n");
        CliRun f = CliRun.run("eval", "--model", model(), "--task", bad.toString());
        assertTrue(f.err().contains("bad.jsonl:1") && f.err().contains("gold"), f.err());
    }

    /** A tiny story model is a terrible judge: its verdicts are unparseable, counted as invalid, and nothing crashes. */
    @Test
    void judgeWithAStoryModelNeverCrashes() throws Exception {
        Path input = dir.resolve("pairs.jsonl");
        Files.writeString(input, """
                {"id": "1", "question": "What is 2+2?", "answer_a": "4", "answer_b": "5", "reference": "4"}
                {"id": "2", "question": "Capital of France?", "answer_a": "Paris", "answer_b": "Lyon"}
                """);
        Path verdicts = dir.resolve("v.json");
        CliRun r = CliRun.run("judge", "--judge-model", model(), "--mode", "pairwise", "--input", input.toString(), "--max-new-tokens", "6",
                "--output", verdicts.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode summary = new ObjectMapper().readTree(r.out()).get("summary");
        assertEquals(2, summary.get("judged").asInt());
        JsonNode items = new ObjectMapper().readTree(verdicts.toFile()).get("items");
        assertEquals(2, items.size());
        CliRun ref = CliRun.run("judge", "--judge-model", model(), "--mode", "pairwise", "--input", input.toString(), "--reference-guided");
        assertEquals(2, ref.code());
        assertTrue(ref.err().contains("item 2 has no reference"), ref.err());
    }
}
