package dev.jllm.model.convert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufFile;
import dev.jllm.core.gguf.GgufWriter;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import dev.jllm.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Byte-level BPE tokenizers (Llama 3, Qwen3) go HF tokenizer.json -> GGUF tokenizer.ggml.* metadata -> HF
 * tokenizer.json; the GGUF vocabulary and the rebuilt tokenizer.json must encode every case of the tokenizer's
 * cases.jsonl to the reference ids (qwen3 has no cases of its own: the llama3_1 texts, encoded by the original).
 */
class ByteLevelVocabConversionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Tag("conformance")
    @Test
    void llama3RoundTripEncodesEveryCase(@TempDir Path tmp) throws Exception {
        roundTrip("llama3_1", "llama-bpe", tmp);
    }

    @Tag("conformance")
    @Test
    void qwen3RoundTripEncodesEveryCase(@TempDir Path tmp) throws Exception {
        roundTrip("qwen3", "qwen2", tmp);
    }

    private static void roundTrip(String name, String expectedPre, Path tmp) throws Exception {
        Path source = Fixtures.resolve("tokenizers", name);
        JsonNode root = JSON.readTree(source.resolve("tokenizer.json").toFile());
        JsonNode config = JSON.readTree(source.resolve("tokenizer_config.json").toFile());
        assertTrue(ByteLevelBpeVocab.isByteLevel(root));
        GgufWriter w = new GgufWriter();
        assertEquals(Optional.empty(), ByteLevelBpeVocab.write(source.resolve("tokenizer.json"), root, config, w));
        Path gguf = tmp.resolve(name + ".gguf");
        w.write(gguf);
        Path back = tmp.resolve("hf");
        Files.createDirectories(back);
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals(expectedPre, g.string("tokenizer.ggml.pre"));
            ByteLevelBpeVocab.HfFiles files = ByteLevelBpeVocab.HfFiles.of(g, 4096).orElseThrow();
            JsonNode rebuilt = files.tokenizerJson();
            // the pipeline is the original's: same normalizer, pre-tokenizer split, vocabulary, merges and added tokens
            assertEquals(root.get("normalizer"), rebuilt.get("normalizer"));
            assertEquals(root.at("/pre_tokenizer/pretokenizers/0"), rebuilt.at("/pre_tokenizer/pretokenizers/0"));
            assertEquals(root.at("/model/vocab"), rebuilt.at("/model/vocab"));
            assertEquals(root.at("/model/merges").size(), rebuilt.at("/model/merges").size());
            assertEquals(root.at("/model/ignore_merges"), rebuilt.at("/model/ignore_merges"));
            assertEquals(root.get("added_tokens").size(), rebuilt.get("added_tokens").size());
            Files.writeString(back.resolve("tokenizer.json"), JSON.writeValueAsString(rebuilt));
            Files.writeString(back.resolve("tokenizer_config.json"), JSON.writeValueAsString(files.tokenizerConfig()));
        }
        Tokenizer fromGguf = Tokenizer.load(gguf);
        Tokenizer rebuilt = Tokenizer.load(back);
        // qwen3 ships without reference ids: its original tokenizer.json (conformance-tested in text) encodes
        // the shared corpus, and the converted forms must agree with it.
        List<String> cases = Fixtures.jsonLines(source.resolve("cases.jsonl"));
        boolean ownIds = !cases.isEmpty();
        if (!ownIds) cases = Fixtures.jsonLines(Fixtures.resolve("tokenizers", "llama3_1", "cases.jsonl"));
        Tokenizer original = ownIds ? null : Tokenizer.load(source);
        Conformance report = new Conformance("convert byte-level " + name);
        for (String line : cases) {
            JsonNode c = JSON.readTree(line);
            String text = c.get("text").asText();
            boolean special = c.get("add_special_tokens").asBoolean();
            int[] expected = ownIds ? ids(c.get("ids")) : original.encode(text, special);
            report.check(c.get("cid").asText() + (special ? "+special" : ""), () -> {
                for (var t : List.of(rebuilt, fromGguf)) {
                    int[] got = t.encode(text, special);
                    if (!Arrays.equals(expected, got)) {
                        throw new AssertionError((t == rebuilt ? "rebuilt tokenizer.json" : "GGUF vocabulary")
                                + " differs at " + Conformance.firstDifference(expected, got) + ": " + Arrays.toString(got));
                    }
                }
            });
        }
        report.finish();
    }

    /** The whole `jllm convert` path: a Qwen3 folder with its byte-level tokenizer, to GGUF and back. */
    @Test
    void modelConversionCarriesTheTokenizerBothWays(@TempDir Path tmp) throws Exception {
        Path folder = tmp.resolve("qwen3");
        Files.createDirectories(folder);
        Path model = Fixtures.resolve("models", "arch", "qwen3"), tok = Fixtures.resolve("tokenizers", "qwen3");
        // links, not copies: the fixtures stay where they are
        for (String f : List.of("config.json", "model.safetensors")) Files.createSymbolicLink(folder.resolve(f), model.resolve(f));
        for (String f : List.of("tokenizer.json", "tokenizer_config.json")) Files.createSymbolicLink(folder.resolve(f), tok.resolve(f));
        Path gguf = tmp.resolve("qwen3.gguf");
        assertEquals(List.of(), ModelConverter.convert(folder, gguf));
        try (GgufFile g = GgufFile.open(gguf)) {
            assertEquals("gpt2", g.string("tokenizer.ggml.model"));
            assertEquals("qwen2", g.string("tokenizer.ggml.pre"));
            assertFalse(g.bool("tokenizer.ggml.add_bos_token", true));
            // (BOS/EOS ids come from this random-weight model's config.json, which wins over the tokenizer's)
            assertEquals("<|endoftext|>", g.strings("tokenizer.ggml.tokens")[(int) g.integer("tokenizer.ggml.padding_token_id")]);
            assertTrue(g.string("tokenizer.chat_template").contains("<|im_start|>"));
        }
        Path back = tmp.resolve("back");
        assertEquals(List.of(), ModelConverter.convert(gguf, back));
        Tokenizer original = Tokenizer.load(tok), rebuilt = Tokenizer.load(back);
        for (String text : List.of("Hello, world!", "<|im_start|>user\nWhat is 12345 + 678?<|im_end|>", "  spaces\tand\ttabs\n\n", "café ñ 日本語 🙂")) {
            assertArrayEquals(original.encode(text, true), rebuilt.encode(text, true), text);
        }
        JsonNode config = JSON.readTree(back.resolve("tokenizer_config.json").toFile());
        assertEquals("<|endoftext|>", config.get("pad_token").asText());
        assertTrue(config.get("chat_template").asText().contains("<|im_start|>"));
    }

    @Test
    void ggufSideUnknownPreTokenizerIsNotGuessedAndBadMergesNameTheField(@TempDir Path tmp) {
        Path known = tmp.resolve("known.gguf"), unknown = tmp.resolve("unknown.gguf"), bad = tmp.resolve("bad.gguf");
        tinyVocab("gpt2", new String[] {"a b"}).write(known);
        tinyVocab("falcon", new String[] {"a b"}).write(unknown);
        tinyVocab("gpt2", new String[] {"ab"}).write(bad);
        try (GgufFile g = GgufFile.open(known)) {
            JsonNode json = ByteLevelBpeVocab.HfFiles.of(g, 64).orElseThrow().tokenizerJson();
            assertEquals("ByteLevel", json.at("/pre_tokenizer/type").asText());
            assertTrue(json.at("/pre_tokenizer/use_regex").asBoolean());
            assertEquals(JSON.createArrayNode().add(JSON.createArrayNode().add("a").add("b")), json.at("/model/merges"));
            assertEquals("<s>", json.at("/added_tokens/0/content").asText());
            assertFalse(json.at("/model/vocab").has("<s>"), "added tokens live outside the model vocabulary");
        }
        try (GgufFile g = GgufFile.open(unknown)) {
            assertTrue(ByteLevelBpeVocab.HfFiles.of(g, 64).isEmpty());
        }
        try (GgufFile g = GgufFile.open(bad)) {
            var e = assertThrows(JllmException.class, () -> ByteLevelBpeVocab.HfFiles.of(g, 64));
            assertTrue(e.getMessage().contains("tokenizer.ggml.merges[0]"), e.getMessage());
        }
    }

    private static GgufWriter tinyVocab(String pre, String[] merges) {
        return new GgufWriter().putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", pre)
                .putStrings("tokenizer.ggml.tokens", new String[] {"a", "b", "ab", "<s>"})
                .putInt32s("tokenizer.ggml.token_type", new int[] {1, 1, 1, 3})
                .putStrings("tokenizer.ggml.merges", merges);
    }

    private static int[] ids(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asInt();
        return out;
    }

    @Test
    void unknownPipelineIsReportedNotGuessed() throws Exception {
        JsonNode root = JSON.readTree("""
                {"normalizer": null, "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                  {"type": "Split", "pattern": {"Regex": "\\\\d+"}, "behavior": "Isolated", "invert": false},
                  {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]},
                 "model": {"type": "BPE", "byte_fallback": false, "vocab": {"a": 0}, "merges": []}}""");
        assertTrue(ByteLevelBpeVocab.isByteLevel(root));
        Optional<String> note = ByteLevelBpeVocab.write(Path.of("tokenizer.json"), root, JSON.createObjectNode(), new GgufWriter());
        assertTrue(note.orElseThrow().contains("no llama.cpp name"), note.toString());
    }

    @Test
    void malformedMergeNamesTheField() throws Exception {
        JsonNode root = JSON.readTree("""
                {"normalizer": null, "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
                 "model": {"type": "BPE", "byte_fallback": false, "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["ab"]}}""");
        var e = assertThrows(JllmException.class,
                () -> ByteLevelBpeVocab.write(Path.of("x/tokenizer.json"), root, JSON.createObjectNode(), new GgufWriter()));
        assertTrue(e.getMessage().contains("model.merges[0]"), e.getMessage());
    }
}
