package dev.jllm.model.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.model.Model;
import dev.jllm.model.arch.Transformer;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Every variant under {@code models/arch/} that has reference outputs: logits of every sequence within 1e-4,
 * router logits of every sparse layer, and the rotary inverse frequencies.
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
            Path modelPath = Files.isRegularFile(dir.resolve("model.gguf")) ? dir.resolve("model.gguf") : dir;
            JsonNode inputs = new ObjectMapper().readTree(dir.resolve("inputs.json").toFile());
            try (SafetensorsFile ref = SafetensorsFile.open(reference)) {
                Model model;
                try {
                    model = Model.load(modelPath);
                } catch (RuntimeException e) {
                    area.fail(name, "load: " + e.getMessage());
                    continue;
                }
                try (model) {
                    if (ref.has("rope.inv_freq")) {
                        area.check(name + "/rope.inv_freq", () -> {
                            float[] expected = ref.tensor("rope.inv_freq").toFloatArray();
                            float[] actual = model.transformer().rope().inverseFrequencies(1);
                            assertClose(expected, actual, 1e-6, "inv_freq");
                        });
                    }
                    for (JsonNode seq : inputs.get("sequences")) {
                        String seqName = seq.get("name").asText();
                        int[] ids = new int[seq.get("input_ids").size()];
                        for (int i = 0; i < ids.length; i++) ids[i] = seq.get("input_ids").get(i).asInt();
                        Map<Integer, float[]> router = new HashMap<>();
                        float[][] logits = model.logits(ids, new Transformer.Observer() {
                            @Override
                            public void routerLogits(int layer, float[] l, int tokens, int experts) {
                                router.put(layer, l.clone());
                            }
                        });
                        area.check(name + "/" + seqName + ".logits", () -> {
                            float[] expected = ref.tensor(seqName + ".logits").toFloatArray();
                            assertClose(expected, flatten(logits), TOLERANCE, "logits");
                        });
                        for (SafeTensor t : ref.tensors()) {
                            String prefix = seqName + ".router_logits.layer";
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
            }
        }
        area.finish();
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
