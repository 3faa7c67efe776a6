package dev.jllm.text.wordpiece;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** A hand-made BERT vocabulary; expected pieces follow HF tokenizers' BertNormalizer/BertPreTokenizer/WordPiece. */
class WordPieceTokenizerTest {
    static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", ",", "world", "!", "un", "##aff",
            "##able", "cafe", "東", "京", "a", "##b", "'", "s");

    static Path write(Path dir, boolean lowercase, Object stripAccents) throws Exception {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < VOCAB.size(); i++) vocab.append(i == 0 ? "" : ",").append('"').append(VOCAB.get(i)).append("\":").append(i);
        String json = """
                {"added_tokens":[{"id":0,"content":"[PAD]","special":true},{"id":1,"content":"[UNK]","special":true},
                 {"id":2,"content":"[CLS]","special":true},{"id":3,"content":"[SEP]","special":true}],
                 "normalizer":{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":%s,"lowercase":%s},
                 "pre_tokenizer":{"type":"BertPreTokenizer"},
                 "post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"[CLS]","type_id":0}},{"Sequence":{"id":"A","type_id":0}},{"SpecialToken":{"id":"[SEP]","type_id":0}}],
                   "special_tokens":{"[CLS]":{"id":"[CLS]","ids":[2],"tokens":["[CLS]"]},"[SEP]":{"id":"[SEP]","ids":[3],"tokens":["[SEP]"]}}},
                 "truncation":{"max_length":6},
                 "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":10,"vocab":{%s}}}
                """.formatted(stripAccents, lowercase, vocab);
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, json);
        return f;
    }

    @Test
    void piecesPunctuationAccentsCjkAndUnknowns(@TempDir Path dir) throws Exception {
        WordPieceTokenizer t = WordPieceTokenizer.load(write(dir, true, "null"));
        assertArrayEquals(new int[]{2, 4, 5, 6, 7, 3}, t.encode("Hello, WORLD!", 0).ids());
        assertArrayEquals(new int[]{2, 8, 9, 10, 3}, t.encode("unaffable", 0).ids());
        // Accents are stripped when lowercasing (strip_accents null follows lowercase).
        assertArrayEquals(new int[]{2, 11, 3}, t.encode("Café", 0).ids());
        // CJK ideographs become words of their own; control characters vanish; NBSP and tabs split.
        assertArrayEquals(new int[]{2, 12, 13, 3}, t.encode("東京\u0007", 0).ids());
        assertArrayEquals(new int[]{2, 14, 14, 3}, t.encode("a\u00A0\ta", 0).ids());
        // A word with no full segmentation is one [UNK]; so is a word over max_input_chars_per_word.
        assertArrayEquals(new int[]{2, 1, 3}, t.encode("abz", 0).ids());
        assertArrayEquals(new int[]{2, 14, 15, 3}, t.encode("ab", 0).ids());
        assertArrayEquals(new int[]{2, 1, 3}, t.encode("abbbbbbbbbbbbb", 0).ids());
        // Special tokens typed in the text are matched; apostrophes split.
        assertArrayEquals(new int[]{2, 4, 3, 14, 16, 17, 3}, t.encode("hello[SEP]a's", 0).ids());
        assertArrayEquals(new int[]{2, 3}, t.encode("", 0).ids());
        // Truncation keeps [CLS] ... [SEP] within the limit.
        assertArrayEquals(new int[]{2, 4, 5, 6, 7, 3}, t.encode("hello, world! hello", t.declaredTruncation()).ids());
    }

    @Test
    void caseAndAccentsKeptWhenAsked(@TempDir Path dir) throws Exception {
        WordPieceTokenizer t = WordPieceTokenizer.load(write(dir, false, "false"));
        assertArrayEquals(new int[]{2, 1, 3}, t.encode("Hello", 0).ids());
        assertArrayEquals(new int[]{2, 1, 3}, t.encode("café", 0).ids());
    }

    @Test
    void badFiles(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, "{\"model\":{\"type\":\"BPE\",\"vocab\":{}}}");
        assertEquals(false, WordPieceTokenizer.isWordPiece(f));
        assertThrows(JllmException.class, () -> WordPieceTokenizer.load(f));
        Files.writeString(f, "{not json");
        assertThrows(JllmException.class, () -> WordPieceTokenizer.load(f));
        Files.writeString(f, "{\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"vocab\":{\"a\":0}}}");
        assertThrows(JllmException.class, () -> WordPieceTokenizer.load(f));
    }
}
