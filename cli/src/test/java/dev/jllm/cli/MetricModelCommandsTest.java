package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** jllm metric perplexity and bertscore, which need a model. */
class MetricModelCommandsTest {
    @TempDir
    Path dir;

    @Test
    void perplexityOfTheReferenceTexts() throws Exception {
        JsonNode ref = new ObjectMapper().readTree(Fixtures.resolve("models", "stories260K", "reference.json").toFile());
        StringBuilder lines = new StringBuilder();
        for (JsonNode c : ref.get("perplexity")) lines.append(new ObjectMapper().writeValueAsString(c.get("text").asText())).append('\n');
        Path texts = dir.resolve("texts.jsonl");
        Files.writeString(texts, lines);
        CliRun r = CliRun.run("metric", "perplexity", "--model", Fixtures.resolve("models", "stories260K-hf").toString(), "--predictions", texts.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode out = new ObjectMapper().readTree(r.out());
        for (int i = 0; i < ref.get("perplexity").size(); i++) {
            assertEquals(ref.get("perplexity").get(i).get("perplexity").asDouble(), out.get("perplexities").get(i).asDouble(), 1e-4);
        }
    }

    /** The arch/bert encoder with a made-up WordPiece vocabulary of its 100 ids. */
    @Test
    void bertScoreOfIdenticalAndDifferentTexts() throws Exception {
        Path bert = Fixtures.resolve("models", "arch", "bert");
        Path model = dir.resolve("bert");
        Files.createDirectories(model);
        Files.createSymbolicLink(model.resolve("config.json"), bert.resolve("config.json").toAbsolutePath());
        Files.createSymbolicLink(model.resolve("model.safetensors"), bert.resolve("model.safetensors").toAbsolutePath());
        StringBuilder vocab = new StringBuilder("\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3");
        for (int i = 4; i < 100; i++) vocab.append(",\"w").append(i).append("\":").append(i);
        Files.writeString(model.resolve("tokenizer.json"), """
                {"added_tokens":[{"id":0,"content":"[PAD]","special":true},{"id":1,"content":"[UNK]","special":true},
                 {"id":2,"content":"[CLS]","special":true},{"id":3,"content":"[SEP]","special":true}],
                 "normalizer":{"type":"BertNormalizer","lowercase":true},"pre_tokenizer":{"type":"BertPreTokenizer"},
                 "post_processor":{"type":"BertProcessing","sep":["[SEP]",3],"cls":["[CLS]",2]},
                 "model":{"type":"WordPiece","unk_token":"[UNK]","vocab":{%s}}}
                """.formatted(vocab));
        Path preds = dir.resolve("p.txt");
        Path refs = dir.resolve("r.txt");
        Files.writeString(preds, "w10 w20 w30\nw10 w20 w30\n");
        Files.writeString(refs, "w10 w20 w30\nw40 w50 w60 w70\n");
        CliRun r = CliRun.run("metric", "bertscore", "--model", model.toString(), "--predictions", preds.toString(), "--references", refs.toString(),
                "--per-segment", "--idf");
        assertEquals(0, r.code(), r.err());
        JsonNode out = new ObjectMapper().readTree(r.out());
        assertEquals(1.0, out.get("segments").get(0).get("f1").asDouble(), 1e-6);
        assertTrue(out.get("segments").get(1).get("f1").asDouble() < 0.999);
        assertEquals(2, out.get("layer").asInt());
        CliRun sim = CliRun.run("metric", "similarity", "--model", model.toString(), "--predictions", preds.toString(), "--references", refs.toString(),
                "--per-segment");
        assertEquals(0, sim.code(), sim.err());
        JsonNode simOut = new ObjectMapper().readTree(sim.out());
        assertEquals(1.0, simOut.get("segments").get(0).asDouble(), 1e-6);
        assertTrue(simOut.get("segments").get(1).asDouble() < 0.999);
        assertEquals("mean", simOut.get("pooling").asText());
        CliRun bad = CliRun.run("metric", "bertscore", "--model", model.toString(), "--predictions", preds.toString(), "--references", refs.toString(),
                "--layer", "7");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("layer 7"), bad.err());
    }
}
