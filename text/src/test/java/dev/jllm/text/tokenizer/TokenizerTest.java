package dev.jllm.text.tokenizer;

import dev.jllm.core.JllmException;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class TokenizerTest {
    static Tokenizer llama3, mistral, qwen3, llama2, stories;

    @BeforeAll
    static void load() {
        llama3 = Tokenizer.load(Fixtures.resolve("tokenizers", "llama3_1"));
        mistral = Tokenizer.load(Fixtures.resolve("tokenizers", "mistral", "tokenizer.json"));
        qwen3 = Tokenizer.load(Fixtures.resolve("tokenizers", "qwen3"));
        llama2 = Tokenizer.load(Fixtures.resolve("tokenizers", "llama2", "tokenizer.model"));
        stories = Tokenizer.load(Fixtures.resolve("models", "stories260K-hf"));
    }

    // ------------------------------------------------------------ round trips

    /** Random strings mixing ASCII, whitespace, accents, combining marks, CJK, emoji and other planes. */
    static String randomText(Random r, int maxLen) {
        int[][] ranges = {{0x20, 0x7E}, {0x09, 0x0D}, {0xA0, 0x24F}, {0x300, 0x36F}, {0x391, 0x3C9}, {0x400, 0x4FF},
                {0x600, 0x6FF}, {0x900, 0x97F}, {0xE00, 0xE7F}, {0x2000, 0x206F}, {0x3000, 0x30FF}, {0x4E00, 0x9FFF},
                {0xAC00, 0xD7A3}, {0xFE00, 0xFFFD}, {0x1F300, 0x1FAFF}, {0x10000, 0x1FFFF}, {0x20000, 0x2FFFF}};
        StringBuilder sb = new StringBuilder();
        int len = r.nextInt(maxLen + 1);
        for (int i = 0; i < len; i++) {
            int[] range = ranges[r.nextInt(ranges.length)];
            int cp = range[0] + r.nextInt(range[1] - range[0] + 1);
            if (Character.getType(cp) == Character.UNASSIGNED && r.nextBoolean()) cp = ' ';
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    @Test
    void byteLevelRoundTripOnRandomUnicode() {
        Random r = new Random(42);
        for (int i = 0; i < 2000; i++) {
            String s = randomText(r, 40);
            assertEquals(s, llama3.decode(llama3.encode(s, false), false), "llama3 round trip of " + s);
            assertEquals(s, llama3.decode(llama3.encode(s, true), true), "llama3 round trip with BOS of " + s);
            String nfc = java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC);
            assertEquals(nfc, qwen3.decode(qwen3.encode(s, false), false), "qwen3 (NFC) round trip of " + s);
        }
    }

    @Test
    void sentencePieceRoundTripOnRandomUnicode() {
        Random r = new Random(7);
        for (int i = 0; i < 500; i++) {
            String s = randomText(r, 30);
            // the leading space is the dummy prefix's: SentencePiece-style decoding strips exactly one
            assertEquals(s, mistral.decode(mistral.encode(s, false), true), "mistral round trip of " + s);
            assertEquals(s, llama2.decode(llama2.encode(s, true), true), "llama2 round trip of " + s);
        }
    }

    @Test
    void loneSurrogatesEncodeAsReplacementCharacter() {
        String broken = "a\uD800b\uDC00c\uD83D";
        String expected = "a\uFFFDb\uFFFDc\uFFFD";
        assertArrayEquals(llama3.encode(expected, false), llama3.encode(broken, false));
        assertEquals(expected, llama3.decode(llama3.encode(broken, false), false));
        assertEquals("\uD83E\uDD99", llama3.decode(llama3.encode("\uD83E\uDD99", false), false), "a valid pair is kept");
        Random r = new Random(3);
        for (int i = 0; i < 300; i++) {
            StringBuilder sb = new StringBuilder(randomText(r, 10));
            sb.insert(r.nextInt(sb.length() + 1), (char) (0xD800 + r.nextInt(0x800)));
            String s = sb.toString();
            String lossy = Utf8.replaceLoneSurrogates(s);
            assertEquals(lossy, llama3.decode(llama3.encode(s, false), false));
        }
    }

    @Test
    void sharedBetweenThreads() throws Exception {
        Random r = new Random(1);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 400; i++) texts.add(randomText(r, 40));
        for (Tokenizer t : List.of(llama3, mistral)) {
            List<int[]> expected = texts.stream().map(s -> t.encode(s, true)).toList();
            var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
            try {
                List<java.util.concurrent.Future<Boolean>> results = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                    int shift = k;
                    results.add(pool.submit(() -> {
                        for (int i = 0; i < texts.size(); i++) {
                            int j = (i + shift * 97) % texts.size();
                            if (!java.util.Arrays.equals(expected.get(j), t.encode(texts.get(j), true))) return false;
                        }
                        return true;
                    }));
                }
                for (var f : results) assertTrue(f.get(), "concurrent encodes agree with sequential ones");
            } finally {
                pool.shutdown();
            }
        }
    }

    // ------------------------------------------------------------ decoding

    @Test
    void streamingDecoderWaitsForWholeCharacters() {
        String text = "Llamas 🦙 and 日本語 text, ünïcödé!";
        int[] ids = llama3.encode(text, true);
        StreamDecoder stream = llama3.streamDecoder(false);
        StringBuilder sb = new StringBuilder();
        int silentSteps = 0;
        for (int id : ids) {
            var piece = stream.step(id);
            if (piece.isEmpty()) silentSteps++;
            piece.ifPresent(p -> {
                assertFalse(p.contains("\uFFFD"), "no partial character is ever emitted");
                sb.append(p);
            });
        }
        assertEquals(llama3.decode(ids, false), sb.toString());
        assertTrue(silentSteps > 0, "the llama emoji spans several byte tokens, so some steps emit nothing");
    }

    @Test
    void streamingDecoderKeepsSentencePieceSpacing() {
        for (Tokenizer t : List.of(mistral, llama2, stories)) {
            String text = "Once upon a time, 🦙 lived  in Zürich.";
            int[] ids = t.encode(text, true);
            StreamDecoder stream = t.streamDecoder(true);
            StringBuilder sb = new StringBuilder();
            for (int id : ids) stream.step(id).ifPresent(sb::append);
            assertEquals(t.decode(ids, true), sb.toString(), t.source());
        }
    }

    @Test
    void cleanUpTokenizationSpaces() {
        assertEquals("Hello, world. It's fine!", Tokenizer.cleanUp("Hello , world . It 's fine !"));
        assertTrue(llama3.cleanUpTokenizationSpaces());
        assertFalse(mistral.cleanUpTokenizationSpaces());
    }

    // ------------------------------------------------------------ batch, padding, truncation, offsets

    @Test
    void batchPaddingRightAndLeftWithMultiple() {
        List<String> texts = List.of("Hello world", "A much longer sentence than the first one");
        List<Encoding> right = qwen3.encodeBatch(texts, BatchOptions.defaults().withPadding(BatchOptions.Padding.LONGEST));
        int pad = qwen3.padTokenId().orElseThrow();
        int longest = qwen3.encode(texts.get(1), true).length;
        assertEquals(longest, right.get(0).length());
        int[] first = qwen3.encode(texts.get(0), true);
        for (int i = 0; i < first.length; i++) {
            assertEquals(first[i], right.get(0).ids()[i]);
            assertEquals(1, right.get(0).attentionMask()[i]);
        }
        for (int i = first.length; i < longest; i++) {
            assertEquals(pad, right.get(0).ids()[i]);
            assertEquals(0, right.get(0).attentionMask()[i]);
        }
        List<Encoding> left = qwen3.encodeBatch(texts, BatchOptions.defaults().withPadding(BatchOptions.Padding.LONGEST)
                .withPaddingSide(BatchOptions.Side.LEFT).withPadToMultipleOf(8));
        int padded = (longest + 7) / 8 * 8;
        assertEquals(padded, left.get(0).length());
        assertEquals(padded, left.get(1).length());
        assertEquals(first[first.length - 1], left.get(0).ids()[padded - 1]);
        assertEquals(pad, left.get(0).ids()[0]);
        assertEquals(0, left.get(0).attentionMask()[0]);
    }

    @Test
    void truncationKeepsRoomForSpecialTokens() {
        String text = "one two three four five six seven eight nine ten";
        int[] full = mistral.encode(text, true);
        var opts = BatchOptions.defaults().withMaxLength(5).withTruncation(true, BatchOptions.Side.RIGHT);
        int[] right = mistral.encodeBatch(List.of(text), opts).getFirst().ids();
        assertArrayEquals(java.util.Arrays.copyOf(full, 5), right);
        int[] left = mistral.encodeBatch(List.of(text), opts.withTruncation(true, BatchOptions.Side.LEFT)).getFirst().ids();
        assertEquals(1, left[0], "BOS stays first");
        assertArrayEquals(java.util.Arrays.copyOfRange(full, full.length - 4, full.length), java.util.Arrays.copyOfRange(left, 1, 5));
        var maxPad = BatchOptions.defaults().withMaxLength(12).withPadding(BatchOptions.Padding.MAX_LENGTH);
        JllmException e = assertThrows(JllmException.class, () -> mistral.encodeBatch(List.of("hi"), maxPad));
        assertTrue(e.getMessage().contains("no pad token"), e.getMessage());
    }

    @Test
    void offsetsAreCharacterRangesOfTheInput() {
        String text = "Hello wörld 🦙!";
        Encoding e = llama3.encodeWithOffsets(text, true);
        assertEquals(0, e.start(0));
        assertEquals(0, e.end(0), "BOS has an empty range");
        assertEquals(1, e.specialTokensMask()[0]);
        StringBuilder covered = new StringBuilder();
        int lastEnd = 0;
        for (int i = 1; i < e.length(); i++) {
            if (e.start(i) >= lastEnd) covered.append(text, e.start(i), e.end(i));
            lastEnd = Math.max(lastEnd, e.end(i));
        }
        assertEquals(text, covered.toString());
        assertEquals(0, e.start(1));
        assertEquals(5, e.end(1));
        // HF-style code point offsets: the emoji is one code point (two UTF-16 units); its byte tokens share it
        int[] cp = e.codePointOffsets(text);
        assertEquals(text.codePointCount(0, text.length()), cp[cp.length - 1]);
        // byte-fallback tokens of one character all cover that character, "<|eot_id|>" typed in text is not masked
        Encoding fb = mistral.encodeWithOffsets("a🦙", false);
        assertEquals(5, fb.length(), "▁a + 4 byte tokens");
        for (int i = 1; i < 5; i++) assertArrayEquals(new int[]{1, 3}, new int[]{fb.start(i), fb.end(i)});
        Encoding typed = llama3.encodeWithOffsets("<|eot_id|>", true);
        assertArrayEquals(new int[]{1, 0}, typed.specialTokensMask());
        Encoding m = mistral.encodeWithOffsets("Hello world", false);
        assertArrayEquals(new int[]{0, 5, 5, 11}, m.offsets());
        Encoding s = llama2.encodeWithOffsets("Hello world", false);
        assertArrayEquals(new int[]{0, 5, 5, 11}, s.offsets());
    }

    // ------------------------------------------------------------ configuration

    @Test
    void specialTokensAndConfig() {
        assertEquals("<|begin_of_text|>", llama3.bosToken().orElseThrow());
        assertEquals(128000, llama3.bosTokenId().getAsInt());
        assertEquals(128009, llama3.eosTokenId().getAsInt());
        assertTrue(llama3.addBosToken(), "from the post-processor");
        assertFalse(llama3.addEosToken());
        assertTrue(llama3.padTokenId().isEmpty());
        assertTrue(llama3.chatTemplate().orElseThrow().contains("<|start_header_id|>"));
        assertEquals(Long.MAX_VALUE, llama3.modelMaxLength());
        assertEquals(131072, qwen3.modelMaxLength());
        assertEquals(151643, qwen3.padTokenId().getAsInt());
        assertFalse(qwen3.addBosToken());
        assertEquals("<unk>", mistral.unkToken().orElseThrow());
        assertEquals(0, mistral.unkTokenId().getAsInt());
        assertEquals(BatchOptions.Side.RIGHT, stories.paddingSide());
        assertEquals(2048, stories.modelMaxLength());
        assertTrue(mistral.chatTemplate().isEmpty());
        assertEquals(1, llama2.bosTokenId().getAsInt());
        assertEquals(2, llama2.eosTokenId().getAsInt());
        assertEquals(32000, llama2.vocabSize());
        assertEquals(128256, llama3.vocabSize());
        assertEquals("Ġworld", llama3.idToToken(1917).orElseThrow());
        assertEquals(1917, llama3.tokenToId("Ġworld").getAsInt());
    }

    @Test
    void namedChatTemplates(@TempDir Path dir) throws Exception {
        Files.copy(Fixtures.resolve("models", "stories260K-hf", "tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "padding_side": "left",
                 "chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]}""");
        Tokenizer t = Tokenizer.load(dir);
        assertEquals("D", t.chatTemplate().orElseThrow());
        assertEquals("T", t.namedChatTemplates().get("tool_use"));
        assertEquals("<s>", t.bosToken().orElseThrow());
        assertEquals(BatchOptions.Side.LEFT, t.paddingSide());
    }

    @Test
    void chatTemplateFromItsOwnFile(@TempDir Path dir) throws Exception {
        Files.copy(Fixtures.resolve("models", "stories260K-hf", "tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ bos_token }}{{ messages[0]['content'] }}");
        assertEquals("{{ bos_token }}{{ messages[0]['content'] }}", Tokenizer.load(dir).chatTemplate().orElseThrow());
    }

    // ------------------------------------------------------------ Oniguruma translation

    @Test
    void onigurumaTranslation() {
        var llama3Split = OnigurumaRegex.compile("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+");
        assertEquals(List.of("'S", "'ſ", "'t"), matches(llama3Split, "'S'ſ't").subList(0, 3), "Unicode case folding");
        assertEquals(List.of("a", "\u00A0", "b"), matches(OnigurumaRegex.compile("\\S+|\\s+"), "a\u00A0b"), "NBSP is \\s");
        assertTrue(OnigurumaRegex.compile("\\s").matcher("\u3000").matches(), "ideographic space is \\s");
        assertTrue(OnigurumaRegex.compile("\\s").matcher("\u2028").matches());
        assertFalse(OnigurumaRegex.compile("\\s").matcher("\u200B").matches(), "ZWSP is not White_Space");
        assertTrue(OnigurumaRegex.compile("\\h+").matcher("09afAF").matches(), "\\h is a hex digit in Oniguruma");
        assertTrue(OnigurumaRegex.compile("\\p{^L}").matcher("1").matches());
        assertTrue(OnigurumaRegex.compile("\\p{Han}+").matcher("日本").matches());
        assertTrue(OnigurumaRegex.compile("\\d").matcher("٣").matches(), "\\d is any Nd");
        assertTrue(OnigurumaRegex.compile("\\w+").matcher("é_٣").matches());
        assertTrue(OnigurumaRegex.compile(".").matcher("\r").matches(), ". only excludes \\n");
        assertFalse(OnigurumaRegex.compile(".").matcher("\n").matches());
        assertTrue(OnigurumaRegex.compile("[[:alpha:]]+").matcher("aé").matches());
        assertThrows(IllegalArgumentException.class, () -> OnigurumaRegex.compile("(?m:a.)"));
        assertEquals(List.of("Hello", " world", "123", "4", "!!\n"), matches(llama3Split, "Hello world1234!!\n"));
    }

    static List<String> matches(java.util.regex.Pattern p, String s) {
        List<String> out = new ArrayList<>();
        var m = p.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    // ------------------------------------------------------------ bad input

    @Test
    void malformedFilesNameTheFileAndField(@TempDir Path dir) throws Exception {
        Path truncated = dir.resolve("tokenizer.json");
        String full = Files.readString(Fixtures.resolve("models", "stories260K-hf", "tokenizer.json"));
        Files.writeString(truncated, full.substring(0, full.length() / 2));
        JllmException e = assertThrows(JllmException.class, () -> Tokenizer.load(truncated));
        assertTrue(e.getMessage().contains(truncated.toString()) && e.getMessage().contains("malformed JSON"), e.getMessage());

        Path unknownModel = dir.resolve("unigram.json");
        Files.writeString(unknownModel, full.replace("\"type\": \"BPE\"", "\"type\": \"Unigram\"").replace("\"type\":\"BPE\"", "\"type\":\"Unigram\""));
        e = assertThrows(JllmException.class, () -> Tokenizer.load(unknownModel));
        assertTrue(e.getMessage().contains("model.type") && e.getMessage().contains("Unigram"), e.getMessage());

        Path unknownNorm = dir.resolve("norm.json");
        Files.writeString(unknownNorm, full.replace("\"Prepend\"", "\"Precompiled\""));
        e = assertThrows(JllmException.class, () -> Tokenizer.load(unknownNorm));
        assertTrue(e.getMessage().contains("normalizer.normalizers[0].type") && e.getMessage().contains("Precompiled"), e.getMessage());

        Path badMerge = dir.resolve("merge.json");
        Files.writeString(badMerge, full.replaceFirst("\\[\\s*\"▁\",\\s*\"t\"\\s*\\]", "[\"▁\", \"no-such-token\"]"));
        e = assertThrows(JllmException.class, () -> Tokenizer.load(badMerge));
        assertTrue(e.getMessage().contains("merge 0"), e.getMessage());

        Path corruptModel = dir.resolve("tokenizer.model");
        byte[] spm = Files.readAllBytes(Fixtures.resolve("tokenizers", "llama2", "tokenizer.model"));
        Files.write(corruptModel, java.util.Arrays.copyOf(spm, 1001));
        e = assertThrows(JllmException.class, () -> Tokenizer.load(corruptModel));
        assertTrue(e.getMessage().contains(corruptModel.toString()) && e.getMessage().contains("corrupt protobuf"), e.getMessage());

        Path garbageGguf = dir.resolve("x.gguf");
        Files.write(garbageGguf, new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9});
        e = assertThrows(JllmException.class, () -> Tokenizer.load(garbageGguf));
        assertTrue(e.getMessage().contains(garbageGguf.toString()), e.getMessage());

        Path noVocab = dir.resolve("weights-only.gguf");
        new dev.jllm.core.gguf.GgufWriter().putString("general.architecture", "llama").write(noVocab);
        e = assertThrows(JllmException.class, () -> Tokenizer.load(noVocab));
        assertTrue(e.getMessage().contains("tokenizer.ggml.model is missing"), e.getMessage());
        Path bert = dir.resolve("bert.gguf");
        new dev.jllm.core.gguf.GgufWriter().putString("tokenizer.ggml.model", "bert")
                .putStrings("tokenizer.ggml.tokens", new String[]{"[PAD]", "a"}).write(bert);
        e = assertThrows(JllmException.class, () -> Tokenizer.load(bert));
        assertTrue(e.getMessage().contains("tokenizer.ggml.model") && e.getMessage().contains("bert"), e.getMessage());
        Path badType = dir.resolve("types.gguf");
        new dev.jllm.core.gguf.GgufWriter().putString("tokenizer.ggml.model", "llama")
                .putStrings("tokenizer.ggml.tokens", new String[]{"<unk>", "a"}).putInt32s("tokenizer.ggml.token_type", new int[]{2})
                .putFloat32s("tokenizer.ggml.scores", new float[]{0, 0}).write(badType);
        e = assertThrows(JllmException.class, () -> Tokenizer.load(badType));
        assertTrue(e.getMessage().contains("tokenizer.ggml.token_type has 1 entries for 2 tokens"), e.getMessage());

        Path other = dir.resolve("notes.txt");
        Files.writeString(other, "x");
        e = assertThrows(JllmException.class, () -> Tokenizer.load(other));
        assertTrue(e.getMessage().contains("unknown tokenizer file type"), e.getMessage());
        e = assertThrows(JllmException.class, () -> Tokenizer.load(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("no such file"), e.getMessage());
    }
}
