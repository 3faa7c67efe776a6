package dev.jllm.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PretrainCommandTest {
    @TempDir
    Path dir;

    @Test
    void pretrainsOnAPlainTextCorpusAndSavesAFolderThatGenerates() throws Exception {
        String[] who = {"The cat", "The dog", "A bird", "The fox"};
        String[] did = {"sat on", "ran to", "looked at", "slept near"};
        String[] what = {"the mat.", "the tree.", "a red ball.", "the river."};
        Random r = new Random(3);
        var corpus = new StringBuilder();
        for (int d = 0; d < 120; d++) {
            for (int k = 0; k < 3; k++) corpus.append(who[r.nextInt(4)]).append(' ').append(did[r.nextInt(4)]).append(' ').append(what[r.nextInt(4)]).append(' ');
            corpus.append("\n\n");
        }
        Path file = dir.resolve("corpus.txt");
        Files.writeString(file, corpus);
        Path out = dir.resolve("model");
        CliRun run = CliRun.run("pretrain", "--corpus", file.toString(), "--vocab-size", "280", "--hidden-size", "32", "--intermediate-size", "64",
                "--num-hidden-layers", "1", "--num-attention-heads", "4", "--num-key-value-heads", "2", "--block-size", "32",
                "--output-dir", out.toString(), "--max-steps", "40", "--per-device-train-batch-size", "8", "--learning-rate", "0.01",
                "--logging-steps", "20", "--sample-prompt", "The cat", "--sample-tokens", "4");
        assertEquals(0, run.code(), run.err() + run.out());
        assertTrue(run.out().contains("Step | Training Loss | Validation Loss"), run.out());
        var m = java.util.regex.Pattern.compile("validation loss ([0-9.]+), perplexity [0-9.]+ \\(unigram entropy of the corpus ([0-9.]+)").matcher(run.out());
        assertTrue(m.find(), run.out());
        assertTrue(Double.parseDouble(m.group(1)) < Double.parseDouble(m.group(2)) - 0.5, run.out());
        var sample = java.util.regex.Pattern.compile("sample: The cat(.+)").matcher(run.out());
        assertTrue(sample.find() && !sample.group(1).isBlank(), run.out());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")) && Files.isRegularFile(out.resolve("tokenizer.json")));
        // the saved folder runs in the inference engine, and its greedy text is the trainer's own greedy sample
        CliRun generated = CliRun.run("generate", "--model", out.toString(), "--prompt", "The cat", "--max-new-tokens", "4", "--no-do-sample");
        assertEquals(0, generated.code(), generated.err() + generated.out());
        assertTrue(generated.out().startsWith(sample.group(1).strip().isEmpty() ? "" : sample.group(1).stripTrailing()),
                "generate: " + generated.out() + " / pretrain sample: " + sample.group(1));
    }

    @Test
    void tooFewDocumentsIsAClearError() throws Exception {
        Path file = dir.resolve("one.txt");
        Files.writeString(file, "only one paragraph here\n");
        CliRun run = CliRun.run("pretrain", "--corpus", file.toString(), "--output-dir", dir.resolve("x").toString());
        assertTrue(run.code() != 0);
        assertTrue(run.err().contains("at least 2"), run.err());
    }
}
