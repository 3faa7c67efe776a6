package dev.jllm.bench.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * The tokenizer benchmark's text, built at run time (nothing is committed): English prose and dialogue from the
 * fixture data sets (gsm8k, hh-rlhf, lamini_docs, HumanEval prompts and solutions) and code from this
 * repository's own sources, as documents in a fixed shuffled order, repeated until the corpus reaches the
 * requested size.
 */
public final class BenchCorpus {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BenchCorpus() {}

    public static List<String> build(Path shared, Path repo, long minBytes) {
        List<String> docs = new ArrayList<>();
        Path datasets = shared.resolve("datasets");
        jsonl(datasets.resolve("gsm8k/test.jsonl"), docs, "question", "answer");
        jsonl(datasets.resolve("hh-rlhf/harmless-base/test.jsonl.gz"), docs, "chosen", "rejected");
        jsonl(datasets.resolve("lamini_docs.jsonl"), docs, "question", "answer");
        jsonl(datasets.resolve("humaneval/HumanEval.jsonl.gz"), docs, "prompt", "canonical_solution", "test");
        int prose = docs.size();
        try (Stream<Path> files = Files.walk(repo)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java") && !f.toString().contains("/target/")).sorted().toList()) {
                docs.add(Files.readString(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (prose == 0 || docs.size() == prose) {
            throw new IllegalStateException("benchmark corpus: found " + prose + " data set documents under " + datasets
                    + " and " + (docs.size() - prose) + " source files under " + repo + "; both are needed");
        }
        Collections.shuffle(docs, new Random(20240601));
        List<String> corpus = new ArrayList<>();
        long bytes = 0;
        while (bytes < minBytes) {
            for (String d : docs) {
                corpus.add(d);
                bytes += d.getBytes(StandardCharsets.UTF_8).length;
                if (bytes >= minBytes) break;
            }
        }
        return corpus;
    }

    public static long utf8Bytes(List<String> corpus) {
        long n = 0;
        for (String d : corpus) n += d.getBytes(StandardCharsets.UTF_8).length;
        return n;
    }

    private static void jsonl(Path file, List<String> out, String... fields) {
        if (!Files.isRegularFile(file)) return;
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode n = JSON.readTree(line);
                for (String f : fields) {
                    if (n.path(f).isTextual() && !n.get(f).asText().isEmpty()) out.add(n.get(f).asText());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
    }
}
