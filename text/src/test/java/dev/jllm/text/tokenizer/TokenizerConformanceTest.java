package dev.jllm.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Every case of every {@code tokenizers/<name>/cases.jsonl} and {@code llamacpp_vectors.jsonl}: ids with and
 * without special tokens, decode with and without special tokens, and transformers' clean-up where recorded.
 * {@code tokenizers/<name>/cases.json} (stories260K format) is checked against the model's tokenizer.json
 * ({@code models/<name>-hf}) and against the vocabulary embedded in its GGUF ({@code models/<name>/*.gguf}).
 */
@Tag("conformance")
class TokenizerConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyTokenizerCase() throws IOException {
        Conformance area = new Conformance("tokenizers");
        for (Path dir : Fixtures.list(Fixtures.resolve("tokenizers"), Files::isDirectory)) {
            List<Path> caseFiles = new ArrayList<>();
            for (String name : List.of("cases.jsonl", "llamacpp_vectors.jsonl")) {
                Path f = dir.resolve(name);
                if (Files.isRegularFile(f) && Files.size(f) > 0) caseFiles.add(f);
            }
            if (!caseFiles.isEmpty()) {
                Tokenizer tok = Tokenizer.load(dir);
                for (Path f : caseFiles) {
                    List<String> lines = Fixtures.jsonLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        JsonNode c = JSON.readTree(lines.get(i));
                        String name = dir.getFileName() + "/" + f.getFileName() + ":" + (i + 1) + " " + c.path("cid").asText()
                                + " special=" + c.path("add_special_tokens").asBoolean();
                        area.check(name, () -> checkCase(tok, c));
                    }
                }
            }
            Path storiesCases = dir.resolve("cases.json");
            if (Files.isRegularFile(storiesCases)) {
                String model = dir.getFileName().toString();
                JsonNode root = JSON.readTree(storiesCases.toFile());
                for (Tokenizer tok : modelTokenizers(model)) {
                    JsonNode cases = root.get("cases");
                    for (int i = 0; i < cases.size(); i++) {
                        JsonNode c = cases.get(i);
                        area.check(model + "/cases.json[" + i + "] via " + tok.source(), () -> checkStoriesCase(tok, c));
                    }
                }
            }
        }
        area.finish();
    }

    /**
     * The byte-level BPE ("gpt2") GGUF vocabulary path: each byte-level tokenizer.json that has cases is written
     * into a GGUF the way llama.cpp's converter does (tokens, token types, merges, pre-tokenizer name, BOS) and
     * must reproduce every id case of its cases files.
     */
    @Test
    void ggufByteLevelVocabularies(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Conformance area = new Conformance("tokenizers-gguf-gpt2");
        for (Path dir : Fixtures.list(Fixtures.resolve("tokenizers"), Files::isDirectory)) {
            Path json = dir.resolve("tokenizer.json");
            Path cases = dir.resolve("cases.jsonl");
            if (!Files.isRegularFile(json) || !Files.isRegularFile(cases) || Files.size(cases) == 0) continue;
            JsonNode root = JSON.readTree(json.toFile());
            String pre = root.path("pre_tokenizer").toString();
            if (!pre.contains("ByteLevel")) continue;
            String preName = pre.contains("\\p{N}{1,3}") ? "llama-bpe" : pre.contains("Split") ? "qwen2" : "gpt2";
            Path gguf = tmp.resolve(dir.getFileName() + ".gguf");
            writeGpt2Gguf(root, preName, Tokenizer.load(dir), gguf);
            Tokenizer tok = Tokenizer.load(gguf);
            List<String> lines = Fixtures.jsonLines(cases);
            for (int i = 0; i < lines.size(); i++) {
                JsonNode c = JSON.readTree(lines.get(i));
                area.check(dir.getFileName() + " as GGUF, cases.jsonl:" + (i + 1) + " " + c.path("cid").asText(), () -> {
                    String text = c.get("text").asText();
                    assertIds(text, ints(c.get("ids")), tok.encode(text, c.path("add_special_tokens").asBoolean(true)));
                    String decoded = c.path("decoded").asText();
                    if (!decoded.equals(tok.decode(ints(c.get("ids")), false))) throw new AssertionError("decode differs for " + quote(text));
                });
            }
        }
        area.finish();
    }

    private static void writeGpt2Gguf(JsonNode root, String preName, Tokenizer reference, Path out) {
        JsonNode vocab = root.path("model").path("vocab");
        int size = reference.vocabSize();
        String[] tokens = new String[size];
        int[] types = new int[size];
        vocab.fields().forEachRemaining(e -> {
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = 1;
        });
        for (JsonNode a : root.path("added_tokens")) {
            tokens[a.get("id").asInt()] = a.get("content").asText();
            types[a.get("id").asInt()] = a.path("special").asBoolean() ? 3 : 4;
        }
        for (int i = 0; i < size; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = 5;
            }
        }
        JsonNode mergesNode = root.path("model").path("merges");
        String[] merges = new String[mergesNode.size()];
        for (int i = 0; i < merges.length; i++) {
            JsonNode m = mergesNode.get(i);
            merges[i] = m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText();
        }
        var w = new dev.jllm.core.gguf.GgufWriter()
                .putString("general.architecture", "llama")
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", preName)
                .putStrings("tokenizer.ggml.tokens", tokens)
                .putInt32s("tokenizer.ggml.token_type", types)
                .putStrings("tokenizer.ggml.merges", merges);
        boolean addBos = reference.addBosToken();
        w.putBool("tokenizer.ggml.add_bos_token", addBos);
        reference.bosTokenId().ifPresent(id -> w.putUInt32("tokenizer.ggml.bos_token_id", id));
        reference.eosTokenId().ifPresent(id -> w.putUInt32("tokenizer.ggml.eos_token_id", id));
        w.write(out);
    }

    /** The tokenizers of models/NAME-hf and models/NAME/*.gguf: the sources cases.json describes. */
    private static List<Tokenizer> modelTokenizers(String model) throws IOException {
        List<Tokenizer> out = new ArrayList<>();
        Path hf = Fixtures.resolve("models", model + "-hf");
        if (Files.isRegularFile(hf.resolve("tokenizer.json"))) out.add(Tokenizer.load(hf));
        for (Path g : Fixtures.list(Fixtures.resolve("models", model), p -> p.toString().endsWith(".gguf"))) out.add(Tokenizer.load(g));
        if (out.isEmpty()) throw new AssertionError("no tokenizer found for tokenizers/" + model + "/cases.json");
        return out;
    }

    static void checkCase(Tokenizer tok, JsonNode c) {
        String text = c.get("text").asText();
        boolean special = c.path("add_special_tokens").asBoolean(true);
        int[] expected = ints(c.get("ids"));
        int[] actual = tok.encode(text, special);
        assertIds(text, expected, actual);
        compare(text, "decoded", c.get("decoded"), tok.decode(expected, false));
        compare(text, "decoded_skip_special", c.get("decoded_skip_special"), tok.decode(expected, true));
        compare(text, "decoded_clean_up_tokenization_spaces", c.get("decoded_clean_up_tokenization_spaces"), tok.decode(expected, false, true));
    }

    static void checkStoriesCase(Tokenizer tok, JsonNode c) {
        String text = c.get("text").asText();
        int[] expected = ints(c.get("expected_ids"));
        assertIds(text, expected, tok.encode(text, true));
        compare(text, "decoded_skip_special", c.get("decoded_skip_special"), tok.decode(expected, true));
    }

    static void assertIds(String text, int[] expected, int[] actual) {
        int at = Conformance.firstDifference(expected, actual);
        if (at >= 0) {
            throw new AssertionError("text " + quote(text) + ": ids differ at position " + at + "\n    expected "
                    + Arrays.toString(expected) + "\n    actual   " + Arrays.toString(actual));
        }
    }

    private static void compare(String text, String field, JsonNode expectedNode, String actual) {
        if (expectedNode == null || expectedNode.isNull()) return;
        String expected = expectedNode.asText();
        int at = Conformance.firstDifference(expected, actual);
        if (at >= 0) {
            throw new AssertionError("text " + quote(text) + ": " + field + " differs at char " + at + "\n    expected "
                    + quote(expected) + "\n    actual   " + quote(actual));
        }
    }

    static int[] ints(JsonNode n) {
        int[] a = new int[n.size()];
        for (int i = 0; i < a.length; i++) a[i] = n.get(i).asInt();
        return a;
    }

    static String quote(String s) {
        String q = s.length() > 120 ? s.substring(0, 120) + "..." : s;
        return JSON.valueToTree(q).toString();
    }
}
