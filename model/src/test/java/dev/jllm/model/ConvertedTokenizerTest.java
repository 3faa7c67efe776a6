package dev.jllm.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.convert.ModelConverter;
import dev.jllm.testkit.Fixtures;
import dev.jllm.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * GGUF -> HF writes the tokenizer files transformers' LlamaConverter made for stories260K-hf (which was built from
 * the same GGUF): same vocabulary, merges in the same order, same pipeline; and it encodes every tokenizer case
 * to the expected ids.
 */
class ConvertedTokenizerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void storiesTokenizerMatchesTransformersConversion(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("hf");
        List<String> notes = ModelConverter.convert(Fixtures.resolve("models", "stories260K", "stories260K.gguf"), out);
        assertEquals(List.of(), notes);
        JsonNode ours = JSON.readTree(out.resolve("tokenizer.json").toFile());
        JsonNode ref = JSON.readTree(Fixtures.resolve("models", "stories260K-hf", "tokenizer.json").toFile());
        for (String field : List.of("added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder")) {
            assertEquals(ref.get(field), ours.get(field), field);
        }
        assertEquals(ref.get("model").get("vocab"), ours.get("model").get("vocab"));
        assertEquals(ref.get("model").get("merges"), ours.get("model").get("merges"));
        for (String field : List.of("type", "unk_token", "fuse_unk", "byte_fallback")) {
            assertEquals(ref.get("model").get(field), ours.get("model").get(field), field);
        }
        JsonNode config = JSON.readTree(out.resolve("tokenizer_config.json").toFile());
        assertTrue(config.get("add_bos_token").asBoolean());
        assertEquals("<s>", config.get("bos_token").asText());

        assertEncodesEveryCase(Tokenizer.load(out));

        // and back: HF -> GGUF carries the vocabulary as tokenizer.ggml.* metadata that tokenizes the same
        Path back = tmp.resolve("back.gguf");
        assertEquals(List.of(), ModelConverter.convert(out, back));
        Tokenizer fromGguf = Tokenizer.load(back);
        assertEncodesEveryCase(fromGguf);
        int[] ids = fromGguf.encode("Once upon a time, there was a dog.", true);
        assertEquals("Once upon a time, there was a dog.", fromGguf.decode(ids, true));
    }

    private static void assertEncodesEveryCase(Tokenizer tok) throws Exception {
        JsonNode cases = JSON.readTree(Fixtures.resolve("tokenizers", "stories260K", "cases.json").toFile()).get("cases");
        int checked = 0;
        for (JsonNode c : cases) {
            if (c.path("special_text_case").asBoolean(false)) continue;  // HF and SentencePiece differ on purpose
            int[] expected = new int[c.get("expected_ids").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("expected_ids").get(i).asInt();
            assertArrayEquals(expected, tok.encode(c.get("text").asText(), true), tok.source() + ": " + c.get("text").asText());
            checked++;
        }
        assertTrue(checked > 10);
    }
}
