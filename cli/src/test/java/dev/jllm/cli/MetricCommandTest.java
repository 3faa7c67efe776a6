package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MetricCommandTest {
    @TempDir
    Path dir;

    private Path write(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    @Test
    void bleuMatchesSacrebleuTestTable() throws Exception {
        // sacrebleu's test_corpus_bleu with tokenize 13a: 48.530827009929865.
        Path hyp = write("hyp.txt", "The dog bit the man.\nIt wasn't surprising.\nThe man had just bitten him.\n");
        Path r1 = write("r1.txt", "The dog bit the man.\nIt was not unexpected.\nThe man bit him first.\n");
        Path r2 = write("r2.txt", "The dog had bit the man.\nNo one was surprised.\nThe man had bitten the dog.\n");
        CliRun r = CliRun.run("metric", "bleu", "--predictions", hyp.toString(), "--references", r1.toString(), "--references", r2.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(48.530827009929865, json.get("score").asDouble(), 1e-9);
        assertEquals("nrefs:2|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", json.get("signature").asText());
        assertTrue(json.get("counts").get(0).isIntegralNumber());
    }

    @Test
    void bleuSentenceLevelAndOptions() throws Exception {
        Path hyp = write("h.txt", "a b c d\n");
        Path ref = write("r.txt", "a b c e\n");
        CliRun r = CliRun.run("metric", "bleu", "--predictions", hyp.toString(), "--references", ref.toString(),
                "--smooth-method", "add-k", "--smooth-value", "0.5", "--effective-order", "--sentence-level", "--lowercase");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals("nrefs:1|case:lc|eff:yes|tok:13a|smooth:add-k[0.50]|version:2.6.0", json.get("signature").asText());
        assertEquals(2.5, json.get("counts").get(1).asDouble());
        assertEquals(1, json.get("sentences").size());
    }

    @Test
    void rougeWithStemmerAndBootstrap() throws Exception {
        Path hyp = write("h.jsonl", "\"the cats are running\\nfast\"\n\"hello\"\n");
        Path ref = write("r.txt", "the cat runs fast\nhello world\n");
        CliRun r = CliRun.run("metric", "rouge", "--predictions", hyp.toString(), "--references", ref.toString(), "--use-stemmer",
                "--bootstrap-samples", "50", "--seed", "3");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(2, json.get("count").asInt());
        // Line 1: stems the cat ar run fast vs the cat run fast -> P 4/5, R 1; line 2: P 1, R 1/2.
        assertEquals((0.8 + 1.0) / 2, json.get("mean").get("rouge1").get("precision").asDouble(), 1e-12);
        assertTrue(json.get("aggregate").has("rougeLsum"));
    }

    @Test
    void meteor() throws Exception {
        Path hyp = write("h.txt", "It is a guide to action which ensures that the military always obeys the commands of the party\n");
        Path ref = write("r.txt", "It is a guide to action that ensures that the military will forever heed Party commands\n");
        CliRun r = CliRun.run("metric", "meteor", "--predictions", hyp.toString(), "--references", ref.toString(), "--per-segment");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(0.6944, Math.round(json.get("score").asDouble() * 10000) / 10000.0, 0); // NLTK's docstring value
    }

    @Test
    void exactMatchAndGsm8k() throws Exception {
        Path pred = write("p.txt", "The Eiffel Tower.\nLondon\n");
        Path ref = write("r.txt", "eiffel tower\nParis\n");
        CliRun em = CliRun.run("metric", "exact-match", "--predictions", pred.toString(), "--references", ref.toString());
        assertEquals(0, em.code(), em.err());
        assertEquals(0.5, new ObjectMapper().readTree(em.out()).get("score").asDouble());

        Path out = write("o.jsonl", "\"3 + 5 = \\\\boxed{8}\"\n\"It costs $1,200.\"\n\"no idea\"\n");
        Path ans = write("a.jsonl", "\"3 plus 5\\n#### 8\"\n\"1200\"\n\"#### 4\"\n");
        CliRun g = CliRun.run("metric", "gsm8k", "--predictions", out.toString(), "--references", ans.toString(), "--per-segment");
        assertEquals(0, g.code(), g.err());
        JsonNode json = new ObjectMapper().readTree(g.out());
        assertEquals(2, json.get("correct").asInt());
        assertEquals(1, json.get("no_answer").asInt());
        assertEquals("1200", json.get("segments").get(1).get("extracted").asText());
    }

    @Test
    void badInputIsOneLineError() throws Exception {
        Path hyp = write("h.txt", "a\nb\n");
        Path ref = write("r.txt", "a\n");
        CliRun r = CliRun.run("metric", "bleu", "--predictions", hyp.toString(), "--references", ref.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("r.txt: has 1 lines"), r.err());
        CliRun tok = CliRun.run("metric", "bleu", "--predictions", hyp.toString(), "--references", hyp.toString(), "--tokenize", "moses");
        assertEquals(2, tok.code());
        assertTrue(tok.err().contains("unknown BLEU tokenizer 'moses'"), tok.err());
        Path badJson = write("bad.jsonl", "not json\n");
        CliRun js = CliRun.run("metric", "rouge", "--predictions", badJson.toString(), "--references", badJson.toString());
        assertEquals(2, js.code());
        assertTrue(js.err().contains("bad.jsonl line 1: expected a JSON string"), js.err());
        Path empty = write("empty.txt", "");
        CliRun none = CliRun.run("metric", "rouge", "--predictions", empty.toString(), "--references", empty.toString());
        assertEquals(2, none.code());
        assertTrue(none.err().contains("no prediction to score"), none.err());
        CliRun missing = CliRun.run("metric", "meteor", "--predictions", dir.resolve("nope.txt").toString(), "--references", ref.toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());
    }
}
