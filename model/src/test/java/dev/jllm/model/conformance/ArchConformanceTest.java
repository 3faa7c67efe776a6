package dev.jllm.model.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.model.Model;
import dev.jllm.model.arch.Transformer;
import dev.jllm.model.arch.VectorOps;
import dev.jllm.model.convert.ModelConverter;
import dev.jllm.model.encoder.BertEncoder;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every variant under {@code models/arch/} that has reference outputs: logits of every sequence within 1e-4,
 * router logits of every sparse layer and the rotary inverse frequencies; each HF decoder again after an
 * HF -> GGUF conversion; BERT's last hidden state and pooler output.
 */
@Tag("conformance")
class ArchConformanceTest {
    static final double TOLERANCE = 1e-4;

    @Test
    void everyArchitectureVariant() throws Exception {
        var area = new Conformance("model-arch");
        Path arch = Fixtures.resolve("models", "arch");
        for (Path dir : Fixtures.list(arch, Files::isDirectory)) {
            Path reference = dir.resolve("reference.safetensors");
            if (!Files.isRegularFile(reference)) continue;
            String name = dir.getFileName().toString();
            JsonNode inputs = new ObjectMapper().readTree(dir.resolve("inputs.json").toFile());
            try (SafetensorsFile ref = SafetensorsFile.open(reference)) {
                if (BertEncoder.isBert(dir)) {
                    checkBert(area, name, dir, ref, inputs);
                    continue;
                }
                Path modelPath = Files.isRegularFile(dir.resolve("model.gguf")) ? dir.resolve("model.gguf") : dir;
                for (Loaded loaded : loadVariants(name, modelPath, area)) {
                    try (Model model = loaded.model()) {
                        checkDecoder(area, loaded.name(), model, ref, inputs);
                    }
                }
            }
        }
        area.finish();
    }

    private static void checkDecoder(Conformance area, String name, Model model, SafetensorsFile ref, JsonNode inputs) {
        if (ref.has("rope.inv_freq")) {
            area.check(name + "/rope.inv_freq", () -> assertClose(ref.tensor("rope.inv_freq").toFloatArray(),
                    model.transformer().rope().inverseFrequencies(1), 1e-6, "inv_freq"));
        }
        for (JsonNode seq : inputs.get("sequences")) {
            String seqName = seq.get("name").asText();
            int[] ids = StoriesConformanceTest.ints(seq.get("input_ids"));
            Map<Integer, float[]> router = new HashMap<>();
            Map<Integer, float[]> hidden = new HashMap<>();
            float[][] logits = model.logits(ids, new Transformer.Observer() {
                @Override
                public void routerLogits(int layer, float[] l, int tokens, int experts) {
                    router.put(layer, l.clone());
                }

                @Override
                public void hiddenState(int layer, float[] h, int tokens) {
                    hidden.put(layer + 1, h.clone());
                }
            });
            String hsKey = seqName + ".hidden_states";
            if (ref.has(hsKey)) {
                area.check(name + "/" + hsKey, () -> {
                    // transformers: embeddings, the output of every layer but the last, then the final norm's output
                    float[] expected = ref.tensor(hsKey).toFloatArray();
                    int layers = model.config().numLayers();
                    int size = ids.length * model.config().hiddenSize();
                    float[] actual = new float[(layers + 1) * size];
                    for (int i = 0; i < layers; i++) System.arraycopy(hidden.get(i), 0, actual, i * size, size);
                    float[] last = hidden.get(layers);
                    int h = model.config().hiddenSize();
                    for (int t = 0; t < ids.length; t++) {
                        VectorOps.rmsNorm(last, t * h, model.transformer().finalNorm(), (float) model.config().rmsNormEps(),
                                actual, layers * size + t * h, h);
                    }
                    assertClose(expected, actual, TOLERANCE, "hidden states");
                });
            }
            area.check(name + "/" + seqName + ".logits",
                    () -> assertClose(ref.tensor(seqName + ".logits").toFloatArray(), flatten(logits), TOLERANCE, "logits"));
            String prefix = seqName + ".router_logits.layer";
            for (SafeTensor t : ref.tensors()) {
                if (!t.name().startsWith(prefix)) continue;
                int layer = Integer.parseInt(t.name().substring(prefix.length()));
                area.check(name + "/" + t.name(), () -> {
                    float[] actual = router.get(layer);
                    if (actual == null) throw new AssertionError("layer " + layer + " produced no router logits");
                    assertClose(t.toFloatArray(), actual, TOLERANCE, "router logits");
                });
            }
        }
    }

    private static void checkBert(Conformance area, String name, Path dir, SafetensorsFile ref, JsonNode inputs) {
        BertEncoder bert;
        try {
            bert = BertEncoder.load(dir);
        } catch (RuntimeException e) {
            area.fail(name, "load: " + e.getMessage());
            return;
        }
        try (bert) {
            for (JsonNode seq : inputs.get("sequences")) {
                String seqName = seq.get("name").asText();
                int[] ids = StoriesConformanceTest.ints(seq.get("input_ids"));
                int[] types = seq.has("token_type_ids") ? StoriesConformanceTest.ints(seq.get("token_type_ids")) : null;
                int[] mask = seq.has("attention_mask") ? StoriesConformanceTest.ints(seq.get("attention_mask")) : null;
                BertEncoder.Output out = bert.encode(ids, types, mask);
                area.check(name + "/" + seqName + ".last_hidden_state", () -> assertClose(
                        ref.tensor(seqName + ".last_hidden_state").toFloatArray(), out.lastHiddenState(), TOLERANCE, "last_hidden_state"));
                if (ref.has(seqName + ".pooler_output")) {
                    area.check(name + "/" + seqName + ".pooler_output", () -> assertClose(
                            ref.tensor(seqName + ".pooler_output").toFloatArray(), out.pooled(), TOLERANCE, "pooler_output"));
                }
            }
        }
    }

    record Loaded(String name, Model model) {}

    /** The variant as stored, plus (for an HF folder) the same model converted HF -> GGUF. */
    static List<Loaded> loadVariants(String name, Path modelPath, Conformance area) {
        List<Loaded> out = new ArrayList<>();
        try {
            out.add(new Loaded(name, Model.load(modelPath)));
        } catch (RuntimeException e) {
            area.fail(name, "load: " + e.getMessage());
            return out;
        }
        if (Files.isDirectory(modelPath)) {
            try {
                Path tmp = Files.createTempFile("jllm-arch-" + name, ".gguf");
                Files.delete(tmp);
                tmp.toFile().deleteOnExit();
                ModelConverter.convert(modelPath, tmp);
                out.add(new Loaded(name + "(hf->gguf)", Model.load(tmp)));
            } catch (Exception e) {
                area.fail(name + "(hf->gguf)", "convert/load: " + e.getMessage());
            }
        }
        return out;
    }

    static float[] flatten(float[][] rows) {
        int n = 0;
        for (float[] r : rows) n += r.length;
        float[] out = new float[n];
        int o = 0;
        for (float[] r : rows) {
            System.arraycopy(r, 0, out, o, r.length);
            o += r.length;
        }
        return out;
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        if (actual == null) throw new AssertionError(what + ": no values");
        if (expected.length != actual.length) {
            throw new AssertionError(what + ": " + actual.length + " values, expected " + expected.length);
        }
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= worst)) {
                worst = d;
                at = i;
            }
        }
        if (!(worst <= tol)) {
            throw new AssertionError(what + ": max |diff| " + worst + " at index " + at + " (expected " + expected[at]
                    + ", got " + actual[at] + "), tolerance " + tol);
        }
    }
}
