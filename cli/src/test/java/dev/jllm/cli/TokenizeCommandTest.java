package dev.jllm.cli;

import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class TokenizeCommandTest {

    static String llama3() {
        return Fixtures.resolve("tokenizers", "llama3_1").toString();
    }

    @Test
    void textPrintsIdsAsJsonArray() {
        CliRun r = CliRun.run("tokenize", "--tokenizer", llama3(), "--text", "Hello world");
        assertEquals(0, r.code(), r.err());
        assertEquals("[128000,9906,1917]", r.out().strip());
        r = CliRun.run("tokenize", "--tokenizer", llama3(), "--no-special-tokens", "--text", "Hello world");
        assertEquals("[9906,1917]", r.out().strip());
    }

    @Test
    void jsonLinesInOrder() {
        String in = "{\"text\": \"Hello world\"}\n{\"text\": \"Hello world\", \"add_special_tokens\": false}\n{\"text\": \"<|eot_id|>é\"}\n";
        CliRun r = CliRun.runWithInput(in, "tokenize", "--tokenizer", llama3());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length);
        assertEquals("{\"ids\":[128000,9906,1917],\"decoded\":\"<|begin_of_text|>Hello world\"}", lines[0]);
        assertEquals("{\"ids\":[9906,1917],\"decoded\":\"Hello world\"}", lines[1]);
        assertEquals("{\"ids\":[128000,128009,978],\"decoded\":\"<|begin_of_text|><|eot_id|>é\"}", lines[2]);
    }

    @Test
    void badLineNamesItsNumber() {
        CliRun r = CliRun.runWithInput("{\"text\": \"ok\"}\n{\"txt\": 1}\n", "tokenize", "--tokenizer", llama3());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("stdin line 2"), r.err());
        assertEquals(1, r.out().strip().split("\n").length, "the good line before was answered");
        r = CliRun.runWithInput("not json\n", "tokenize", "--tokenizer", llama3());
        assertTrue(r.err().contains("stdin line 1: malformed JSON"), r.err());
    }

    @Test
    void missingTokenizerIsAnError(@TempDir Path dir) {
        CliRun r = CliRun.run("tokenize", "--tokenizer", dir.resolve("nope").toString(), "--text", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("nope"), r.err());
    }

    @Test
    void trainThenTokenize(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("c.txt");
        Files.writeString(corpus, "low lower lowest newer newest wider ".repeat(50));
        Path out = dir.resolve("tok");
        CliRun r = CliRun.run("tokenizer-train", "--input", corpus.toString(), "--vocab-size", "300", "--min-frequency", "2",
                "--special-tokens", "<s>,</s>", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tokenizer.json"), r.out());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        r = CliRun.run("tokenize", "--tokenizer", out.toString(), "--text", "</s>lowest");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("[1,"), r.out());
        r = CliRun.run("tokenizer-train", "--input", corpus.toString(), "--vocab-size", "10", "--output", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("vocab size"), r.err());
    }

    @Test
    void helpListsOptions() {
        CliRun r = CliRun.run("tokenize", "--help");
        assertTrue(r.out().contains("--no-special-tokens") && r.out().contains("--tokenizer"), r.out());
        r = CliRun.run("tokenizer-train", "--help");
        assertTrue(r.out().contains("--min-frequency") && r.out().contains("Default: 2"), r.out());
    }
}
