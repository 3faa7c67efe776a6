package dev.jllm.cli;

import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class TokenizeCommandTest {
    record Run(int code, String out, String err) {}

    static Run run(String stdin, String... args) {
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        if (stdin != null) {
            TokenizeCommand cmd = cli.getSubcommands().get("tokenize").getCommand();
            cmd.in = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
        }
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static String llama3() {
        return Fixtures.resolve("tokenizers", "llama3_1").toString();
    }

    @Test
    void textPrintsIdsAsJsonArray() {
        Run r = run(null, "tokenize", "--tokenizer", llama3(), "--text", "Hello world");
        assertEquals(0, r.code(), r.err());
        assertEquals("[128000,9906,1917]", r.out().strip());
        r = run(null, "tokenize", "--tokenizer", llama3(), "--no-special-tokens", "--text", "Hello world");
        assertEquals("[9906,1917]", r.out().strip());
    }

    @Test
    void jsonLinesInOrder() {
        String in = "{\"text\": \"Hello world\"}\n{\"text\": \"Hello world\", \"add_special_tokens\": false}\n{\"text\": \"<|eot_id|>é\"}\n";
        Run r = run(in, "tokenize", "--tokenizer", llama3());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(3, lines.length);
        assertEquals("{\"ids\":[128000,9906,1917],\"decoded\":\"<|begin_of_text|>Hello world\"}", lines[0]);
        assertEquals("{\"ids\":[9906,1917],\"decoded\":\"Hello world\"}", lines[1]);
        assertEquals("{\"ids\":[128000,128009,978],\"decoded\":\"<|begin_of_text|><|eot_id|>é\"}", lines[2]);
    }

    @Test
    void badLineNamesItsNumber() {
        Run r = run("{\"text\": \"ok\"}\n{\"txt\": 1}\n", "tokenize", "--tokenizer", llama3());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("stdin line 2"), r.err());
        assertEquals(1, r.out().strip().split("\n").length, "the good line before was answered");
        r = run("not json\n", "tokenize", "--tokenizer", llama3());
        assertTrue(r.err().contains("stdin line 1: malformed JSON"), r.err());
    }

    @Test
    void missingTokenizerIsAnError(@TempDir Path dir) {
        Run r = run(null, "tokenize", "--tokenizer", dir.resolve("nope").toString(), "--text", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("nope"), r.err());
    }

    @Test
    void trainThenTokenize(@TempDir Path dir) throws Exception {
        Path corpus = dir.resolve("c.txt");
        Files.writeString(corpus, "low lower lowest newer newest wider ".repeat(50));
        Path out = dir.resolve("tok");
        Run r = run(null, "tokenizer-train", "--input", corpus.toString(), "--vocab-size", "300", "--min-frequency", "2",
                "--special-tokens", "<s>,</s>", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("tokenizer.json"), r.out());
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        r = run(null, "tokenize", "--tokenizer", out.toString(), "--text", "</s>lowest");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("[1,"), r.out());
        r = run(null, "tokenizer-train", "--input", corpus.toString(), "--vocab-size", "10", "--output", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("vocab size"), r.err());
    }

    @Test
    void helpListsOptions() {
        Run r = run(null, "tokenize", "--help");
        assertTrue(r.out().contains("--no-special-tokens") && r.out().contains("--tokenizer"), r.out());
        r = run(null, "tokenizer-train", "--help");
        assertTrue(r.out().contains("--min-frequency") && r.out().contains("Default: 2"), r.out());
    }
}
