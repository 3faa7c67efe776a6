package dev.jllm.model.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.model.Model;
import dev.jllm.model.convert.ModelConverter;
import dev.jllm.model.generate.GenerationOptions;
import dev.jllm.model.generate.GenerationResult;
import dev.jllm.model.generate.Generator;
import dev.jllm.model.generate.TokenListener;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static dev.jllm.model.conformance.ArchConformanceTest.assertClose;
import static dev.jllm.model.conformance.ArchConformanceTest.flatten;

/**
 * stories260K against llama2.c and the float64 numpy forward, for the GGUF file and for the Hugging Face copy:
 * logits of every reference sequence within 1e-4, every greedy generation token for token, every perplexity;
 * plus the HF folder's forward check (logits of the float64 GGUF forward).
 */
@Tag("conformance")
class StoriesConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Models that must all reproduce the stories260K references: the GGUF and the HF folder. */
    static List<Path> storiesModels() {
        List<Path> models = new ArrayList<>();
        Path gguf = Fixtures.resolve("models", "stories260K", "stories260K.gguf");
        if (Files.isRegularFile(gguf)) models.add(gguf);
        Path hf = Fixtures.resolve("models", "stories260K-hf");
        if (Files.isDirectory(hf)) models.add(hf);
        return models;
    }

    @Test
    void storiesReferences() throws Exception {
        var area = new Conformance("model-stories260K");
        Path dir = Fixtures.resolve("models", "stories260K");
        JsonNode ref = JSON.readTree(dir.resolve("reference.json").toFile());
        for (Path modelPath : storiesModels()) {
            String tag = modelPath.getFileName().toString();
            try (Model model = Model.load(modelPath)) {
                checkAll(area, tag, model, dir, ref);
            }
        }
        // GGUF -> HF -> GGUF must still reproduce every reference.
        Path gguf = dir.resolve("stories260K.gguf");
        Path tmp = Files.createTempDirectory("jllm-roundtrip");
        try {
            Path hf = tmp.resolve("hf");
            Path back = tmp.resolve("back.gguf");
            ModelConverter.convert(gguf, hf);
            ModelConverter.convert(hf, back);
            try (Model model = Model.load(back)) {
                checkAll(area, "roundtrip.gguf", model, dir, ref);
            }
        } finally {
            deleteTree(tmp);
        }
        area.finish();
    }

    static void deleteTree(Path p) throws java.io.IOException {
        try (var s = Files.walk(p)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        }
    }

    /** Every logits, greedy-generation and perplexity case of reference.json against one model. */
    static void checkAll(Conformance area, String tag, Model model, Path dir, JsonNode ref) {
        for (JsonNode c : ref.get("logits")) {
            area.check(tag + "/" + c.get("id").asText(), () -> {
                int[] ids = ints(c.get("token_ids"));
                float[] expected = readF32(dir.resolve(c.get("file").asText()));
                assertClose(expected, flatten(model.logits(ids)), 1e-4, "logits");
            });
        }
        for (JsonNode g : ref.get("generation")) {
            if (!g.get("mode").asText().equals("greedy")) continue;  // seeded cases: see RunCSamplingConformanceTest
            area.check(tag + "/" + g.get("id").asText(), () -> {
                int[] prompt = ints(g.get("prompt_ids"));
                int[] expected = ints(g.get("generated_ids"));
                int steps = g.get("steps").asInt();
                // run.c: positions 0..steps-1 each produce one token; the first prompt.length-1 are forced.
                var options = GenerationOptions.builder().maxNewTokens(steps - (prompt.length - 1))
                        .eosTokenIds(List.of(1)).build();
                GenerationResult r = new Generator(model::newSession, null).generate(prompt, options, TokenListener.NONE);
                int[] actual = r.generatedIds();
                if (r.stopReason() == GenerationResult.StopReason.EOS) actual = Arrays.copyOf(actual, actual.length - 1);
                if (!Arrays.equals(expected, actual)) {
                    int at = Conformance.firstDifference(expected, actual);
                    throw new AssertionError("generated ids differ at " + at + ": expected " + Arrays.toString(expected)
                            + ", got " + Arrays.toString(actual));
                }
            });
        }
        for (JsonNode p : ref.get("perplexity")) {
            area.check(tag + "/" + p.get("id").asText(), () -> {
                int[] ids = ints(p.get("token_ids"));
                float[][] logits = model.logits(ids);
                JsonNode perToken = p.get("per_token_nll_nats");
                double sum = 0;
                for (int t = 0; t < ids.length - 1; t++) {
                    double nll = logSumExp(logits[t]) - logits[t][ids[t + 1]];
                    if (Math.abs(nll - perToken.get(t).asDouble()) > 1e-4) {
                        throw new AssertionError("nll at " + t + ": " + nll + ", expected " + perToken.get(t).asDouble());
                    }
                    sum += nll;
                }
                double ppl = Math.exp(sum / (ids.length - 1));
                double expected = p.get("perplexity").asDouble();
                if (Math.abs(ppl - expected) > 1e-5 * expected) {
                    throw new AssertionError("perplexity " + ppl + ", expected " + expected);
                }
            });
        }
    }

    @Test
    void hfForwardCheck() throws Exception {
        var area = new Conformance("model-stories260K-hf-forward_check");
        Path dir = Fixtures.resolve("models", "stories260K-hf-forward_check");
        JsonNode inputs = JSON.readTree(dir.resolve("inputs.json").toFile());
        try (Model model = Model.load(Fixtures.resolve("models", "stories260K-hf"));
             SafetensorsFile ref = SafetensorsFile.open(dir.resolve("logits.safetensors"))) {
            int i = 0;
            for (JsonNode seq : inputs.get("sequences")) {
                String name = "seq" + i++;
                int[] ids = ints(seq.get("input_ids"));
                float[] actual = flatten(model.logits(ids));
                for (String kind : List.of("logits_gguf_numpy_fp64", "logits_hf_torch_fp32")) {
                    String key = name + "." + kind;
                    if (!ref.has(key)) continue;
                    area.check(key, () -> assertClose(ref.tensor(key).toFloatArray(), actual, 1e-4, key));
                }
            }
        }
        area.finish();
    }

    static double logSumExp(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) max = Math.max(max, v);
        double s = 0;
        for (float v : row) s += Math.exp(v - max);
        return max + Math.log(s);
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    static float[] readF32(Path file) throws java.io.IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
