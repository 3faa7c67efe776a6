package dev.jllm.text.tokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Pipeline parts the real fixtures do not exercise, on a tiny hand-checkable tokenizer.json. */
class SyntheticPipelineTest {
    private static final String TEMPLATE = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 14, "content": "<mask>", "single_word": false, "lstrip": true, "rstrip": false, "normalized": false, "special": true},
               {"id": 15, "content": "ey", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false, "special": false}],
             "normalizer": null,
             "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "%s", "split": true},
             "post_processor": null,
             "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "%s", "split": true},
             "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "continuing_subword_prefix": null,
               "end_of_word_suffix": null, "fuse_unk": true, "byte_fallback": false,
               "vocab": {"<unk>": 0, "▁": 1, "H": 2, "e": 3, "y": 4, "f": 5, "r": 6, "i": 7, "n": 8, "d": 9, "!": 10,
                         "▁H": 11, "▁He": 12, "▁Hey": 13},
               "merges": ["▁ H", "▁H e", "▁He y"]}}
            """;

    static Tokenizer load(Path dir, String scheme) throws Exception {
        Path f = dir.resolve(scheme + ".json");
        Files.writeString(f, TEMPLATE.formatted(scheme, scheme));
        return Tokenizer.load(f);
    }

    @Test
    void metaspaceAddedTokensAndUnknowns(@TempDir Path dir) throws Exception {
        Tokenizer t = load(dir, "always");
        assertArrayEquals(new int[]{13, 1, 5, 6, 7, 3, 8, 9, 10}, t.encode("Hey friend!", true));
        assertEquals("Hey friend!", t.decode(t.encode("Hey friend!", true), false));
        // lstrip: the space before <mask> belongs to it; each segment gets its own prefix ("always")
        assertArrayEquals(new int[]{13, 14, 1, 5, 6, 7, 3, 8, 9}, t.encode("Hey <mask> friend", true));
        assertEquals("Hey friend", t.decode(t.encode("Hey <mask> friend", true), true));
        // single_word: "ey" inside "Hey" is not the added token, the free-standing one is
        assertArrayEquals(new int[]{13, 1, 15}, t.encode("Hey ey", true));
        // unknown characters fuse into one <unk>
        assertArrayEquals(new int[]{1, 0, 3}, t.encode("xzqe", false));
        Encoding e = t.encodeWithOffsets("Hey friend!", false);
        assertArrayEquals(new int[]{0, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11}, e.offsets());
    }

    @Test
    void firstPrependSchemeOnlyAtTheStart(@TempDir Path dir) throws Exception {
        Tokenizer t = load(dir, "first");
        assertArrayEquals(new int[]{13}, t.encode("Hey", false));
        // after an added token the segment does not start the input: no prefix
        assertArrayEquals(new int[]{14, 2, 3, 4}, t.encode("<mask>Hey", false));
        Tokenizer never = load(dir, "never");
        assertArrayEquals(new int[]{2, 3, 4}, never.encode("Hey", false));
        assertEquals(" Hey", never.decode(new int[]{13}, false));
    }

    @Test
    void robertaProcessingWrapsWithClsAndSep(@TempDir Path dir) throws Exception {
        String json = TEMPLATE.formatted("always", "always").replace("\"post_processor\": null",
                "\"post_processor\": {\"type\": \"RobertaProcessing\", \"sep\": [\"!\", 10], \"cls\": [\"<unk>\", 0], \"trim_offsets\": true, \"add_prefix_space\": false}");
        Path f = dir.resolve("roberta.json");
        Files.writeString(f, json);
        Tokenizer t = Tokenizer.load(f);
        assertArrayEquals(new int[]{0, 13, 10}, t.encode("Hey", true));
        assertArrayEquals(new int[]{13}, t.encode("Hey", false));
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, json.replace("[\"!\", 10]", "\"!\""));
        var e = assertThrows(dev.jllm.core.JllmException.class, () -> Tokenizer.load(bad));
        assertTrue(e.getMessage().contains("post_processor.sep"), e.getMessage());
    }
}
