package dev.jllm.model.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.Model;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The seeded llama2.c generations (flagged {@code run_c_specific}): our forward pass feeding a replica of run.c's
 * sampler (xorshift64* RNG, float32 softmax, {@code sample_mult} / {@code sample_topp}) as reference.json's
 * {@code sampling_algorithm} documents it. They pass only if our logits are close enough to run.c's float32 ones
 * that no coin lands between the two cumulative distributions.
 */
@Tag("conformance")
class RunCSamplingConformanceTest {

    /** run.c's RNG and samplers, in float32 like the C code. */
    static final class RunCSampler {
        private long state;
        private final float temperature;
        private final float topp;

        RunCSampler(long seed, float temperature, float topp) {
            this.state = seed;
            this.temperature = temperature;
            this.topp = topp;
        }

        int randomU32() {
            state ^= state >>> 12;
            state ^= state << 25;
            state ^= state >>> 27;
            return (int) ((state * 0x2545F4914F6CDD1DL) >>> 32);
        }

        float randomF32() {
            return (randomU32() >>> 8) / 16777216.0f;
        }

        int sample(float[] logitsIn) {
            float[] x = logitsIn.clone();
            for (int i = 0; i < x.length; i++) x[i] /= temperature;
            float max = x[0];
            for (float v : x) if (v > max) max = v;
            float sum = 0f;
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) Math.exp(x[i] - max);
                sum += x[i];
            }
            for (int i = 0; i < x.length; i++) x[i] /= sum;
            float coin = randomF32();
            if (topp <= 0 || topp >= 1) {
                float cdf = 0f;
                for (int i = 0; i < x.length; i++) {
                    cdf += x[i];
                    if (coin < cdf) return i;
                }
                return x.length - 1;
            }
            float cutoff = (1.0f - topp) / (x.length - 1);
            List<Integer> kept = new ArrayList<>();
            for (int i = 0; i < x.length; i++) if (x[i] >= cutoff) kept.add(i);
            kept.sort((a, b) -> Float.compare(x[b], x[a]));
            float cumulative = 0f;
            int last = kept.size() - 1;
            for (int i = 0; i < kept.size(); i++) {
                cumulative += x[kept.get(i)];
                if (cumulative > topp) {
                    last = i;
                    break;
                }
            }
            float r = coin * cumulative;
            float cdf = 0f;
            for (int i = 0; i <= last; i++) {
                cdf += x[kept.get(i)];
                if (r < cdf) return kept.get(i);
            }
            return kept.get(last);
        }
    }

    @Test
    void seededGenerations() throws Exception {
        var area = new Conformance("model-stories260K-runc-sampling");
        Path dir = Fixtures.resolve("models", "stories260K");
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        try (Model model = Model.load(dir.resolve("stories260K.gguf"))) {
            for (JsonNode g : ref.get("generation")) {
                if (g.get("seed").isNull()) continue;  // the greedy cases are in StoriesConformanceTest
                area.check(g.get("id").asText(), () -> {
                    int[] prompt = StoriesConformanceTest.ints(g.get("prompt_ids"));
                    int[] expected = StoriesConformanceTest.ints(g.get("generated_ids"));
                    int steps = Math.min(g.get("steps").asInt(), 512);
                    var sampler = new RunCSampler(g.get("seed").asLong(), (float) g.get("temperature").asDouble(),
                            (float) g.get("topp").asDouble());
                    Model.Session s = model.newSession(steps + 1);
                    float[] logits = s.append(prompt);
                    List<Integer> out = new ArrayList<>();
                    for (int pos = prompt.length - 1; pos < steps; pos++) {
                        int next = sampler.sample(logits);
                        if (next == 1) break;
                        out.add(next);
                        if (pos + 1 < steps) logits = s.append(new int[] {next});
                    }
                    int[] actual = out.stream().mapToInt(Integer::intValue).toArray();
                    if (!Arrays.equals(expected, actual)) {
                        throw new AssertionError("differs at " + Conformance.firstDifference(expected, actual) + " of "
                                + expected.length);
                    }
                });
            }
        }
        area.finish();
    }
}
