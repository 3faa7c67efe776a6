package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** generate, logits and convert on the stories260K fixtures. */
class ModelCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path gguf() {
        return Fixtures.resolve("models", "stories260K", "stories260K.gguf");
    }

    @Test
    void generateJsonGreedyMatchesLlama2c() throws Exception {
        JsonNode ref = JSON.readTree(Fixtures.resolve("models", "stories260K", "reference.json").toFile());
        JsonNode greedy = null;
        for (JsonNode g : ref.get("generation")) {
            if (g.get("mode").asText().equals("greedy") && !g.get("prompt").asText().isEmpty()) {
                greedy = g;
                break;
            }
        }
        assertNotNull(greedy);
        for (boolean noMmap : new boolean[] {false, true}) {  // mapped, then read into huge-page memory
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("generate", "--model", gguf().toString(),
                    "--prompt", greedy.get("prompt").asText(), "--max-new-tokens", "20", "--json", "--threads", "2"));
            if (noMmap) args.add("--no-mmap");
            String memory = noMmap ? "--no-mmap" : "mapped";
            CliRun r = CliRun.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            JsonNode o = JSON.readTree(r.out());
            for (int i = 0; i < 20; i++) assertEquals(greedy.get("generated_ids").get(i).asInt(), o.get("ids").get(i).asInt(), memory + " id " + i);
            assertTrue(o.get("text").asText().length() > 10);
            assertTrue(o.has("prefill_tokens_per_s") && o.has("decode_tokens_per_s"));
        }
        CliRun mapped = CliRun.run("generate", "--model", gguf().toString(), "--prompt", "x", "--max-new-tokens", "1");
        assertEquals(0, mapped.code(), mapped.err());
        assertTrue(dev.jllm.core.memory.ModelMemory.mmap(), "a command without --no-mmap maps again");
    }

    @Test
    void generateStreamsTextAndEndsWithRates() {
        CliRun r = CliRun.run("generate", "--model", Fixtures.resolve("models", "stories260K-hf").toString(),
                "--prompt", "Once upon a time", "--max-new-tokens", "8", "--do-sample", "--seed", "1", "--top-k", "5");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tokens/s"), r.out());
    }

    @Test
    void logitsReadsJsonLines() throws Exception {
        CliRun r = CliRun.runWithInput("{\"ids\": [1, 403, 407]}\n\n{\"ids\": [1]}\n", "logits", "--model", gguf().toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length);
        JsonNode first = JSON.readTree(lines[0]).get("logits");
        assertEquals(3, first.size());
        assertEquals(512, first.get(0).size());
        // the single-token line's row equals the first row of the longer one (same position, same prefix)
        JsonNode second = JSON.readTree(lines[1]).get("logits");
        assertEquals(first.get(0).get(7).floatValue(), second.get(0).get(7).floatValue(), 1e-5);
    }

    @Test
    void logitsRejectsBadLinesWithLineNumber() {
        CliRun r = CliRun.runWithInput("{\"ids\": [1]}\n{\"ids\": [1, 99999]}\n", "logits", "--model", gguf().toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("line 2") && r.err().contains("99999"), r.err());
    }

    @Test
    void convertRoundTripKeepsLogits(@TempDir Path tmp) throws Exception {
        Path hf = tmp.resolve("hf");
        Path back = tmp.resolve("back.gguf");
        assertEquals(0, CliRun.run("convert", "--input", gguf().toString(), "--output", hf.toString()).code());
        assertTrue(Files.isRegularFile(hf.resolve("config.json")) && Files.isRegularFile(hf.resolve("model.safetensors")));
        assertEquals(0, CliRun.run("convert", "--input", hf.toString(), "--output", back.toString()).code());
        String line = "{\"ids\": [1, 403, 407, 261]}\n";
        String a = CliRun.runWithInput(line, "logits", "--model", gguf().toString()).out();
        String b = CliRun.runWithInput(line, "logits", "--model", back.toString()).out();
        assertEquals(a, b);
    }

    @Test
    void chatKeepsTheConversation() {
        CliRun r = CliRun.runWithInput("Hello\nTell me more\n", "chat", "--model", Fixtures.resolve("models", "stories260K-hf").toString(),
                "--system", "Be nice", "--max-new-tokens", "6");
        assertEquals(0, r.code(), r.err());
        assertEquals(4, r.out().split(">", -1).length, "three prompts for two turns and the end: " + r.out());
    }

    @Test
    void chatWithoutTemplateFailsClearly() {
        CliRun r = CliRun.runWithInput("Hi\n", "chat", "--model", gguf().toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("stories260K.gguf"), r.err());
    }

    @Test
    void quantizeToQ8_0StillGeneratesTheSameStart(@TempDir Path tmp) throws Exception {
        Path q = tmp.resolve("q8.gguf");
        CliRun r = CliRun.run("quantize", "--input", gguf().toString(), "--output", q.toString(), "--type", "q8_0");
        assertEquals(0, r.code(), r.err());
        String a = CliRun.run("generate", "--model", gguf().toString(), "--prompt", "Once upon a time", "--max-new-tokens", "5", "--json").out();
        String b = CliRun.run("generate", "--model", q.toString(), "--prompt", "Once upon a time", "--max-new-tokens", "5", "--json").out();
        assertEquals(JSON.readTree(a).get("ids"), JSON.readTree(b).get("ids"));
        CliRun bad = CliRun.run("quantize", "--input", gguf().toString(), "--output", q.toString(), "--type", "Q5_0");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("Q5_0"), bad.err());
    }

    @Test
    void badModelPathIsOneClearLine() {
        CliRun r = CliRun.run("generate", "--model", "/nonexistent/model.gguf", "--prompt", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("/nonexistent/model.gguf"), r.err());
        assertFalse(r.err().contains("at dev.jllm"), "no stack trace: " + r.err());
    }

    @Test
    void benchReadsWeightsIntoMemoryWithNoMmap(@TempDir Path cache) {
        for (boolean noMmap : new boolean[]{false, true}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("bench", "--random", "tiny", "--types", "Q8_0",
                    "--cache", cache.toString(), "--prompt-tokens", "4", "--decode-tokens", "2", "--bandwidth-mib", "8"));
            if (noMmap) args.add("--no-mmap");
            CliRun r = CliRun.run(args.toArray(String[]::new));
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains(noMmap ? "weights read into memory" : "weights memory-mapped"), r.out());
            assertTrue(r.out().contains("random-tiny-Q8_0.gguf"), r.out());
        }
        dev.jllm.core.memory.ModelMemory.setMmap(true);
    }
}
