package dev.jllm.eval.embed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.model.encoder.BertEncoder;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Every BERT variant under models/arch: each layer's hidden state (transformers' {@code hidden_states}) of each
 * sequence, and BERTScore of every sequence pair at every layer computed from our hidden states equal to the
 * same computation on the reference hidden states.
 */
@Tag("conformance")
class BertFixtureConformanceTest {
    static final double TOLERANCE = 1e-4;

    @Test
    void hiddenStatesAndBertScore() throws Exception {
        var area = new Conformance("bert-hidden-states");
        try (var dirs = Files.list(Fixtures.resolve("models", "arch"))) {
            for (Path dir : dirs.sorted().toList()) {
                if (!BertEncoder.isBert(dir) || !Files.isRegularFile(dir.resolve("reference.safetensors"))) continue;
                String name = dir.getFileName().toString();
                JsonNode seqs = new ObjectMapper().readTree(dir.resolve("inputs.json").toFile()).get("sequences");
                try (BertEncoder bert = BertEncoder.load(dir); SafetensorsFile ref = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
                    int h = bert.config().hiddenSize();
                    int layers = bert.config().numLayers();
                    BertEncoder.Output[] outs = new BertEncoder.Output[seqs.size()];
                    float[][] refStates = new float[seqs.size()][];
                    int[][] ids = new int[seqs.size()][];
                    for (int s = 0; s < seqs.size(); s++) {
                        JsonNode seq = seqs.get(s);
                        String seqName = seq.get("name").asText();
                        ids[s] = new ObjectMapper().convertValue(seq.get("input_ids"), int[].class);
                        int[] types = new ObjectMapper().convertValue(seq.get("token_type_ids"), int[].class);
                        int[] mask = new ObjectMapper().convertValue(seq.get("attention_mask"), int[].class);
                        outs[s] = bert.encode(ids[s], types, mask);
                        refStates[s] = ref.tensor(seqName + ".hidden_states").toFloatArray();
                        int n = ids[s].length;
                        for (int l = 0; l <= layers; l++) {
                            float[] expected = Arrays.copyOfRange(refStates[s], l * n * h, (l + 1) * n * h);
                            float[] actual = outs[s].hiddenStates().get(l);
                            int layer = l;
                            area.check(name + "/" + seqName + ".hidden_states[" + l + "]", () -> {
                                for (int i = 0; i < expected.length; i++) {
                                    if (Math.abs(expected[i] - actual[i]) > TOLERANCE) {
                                        throw new AssertionError("layer " + layer + " element " + i + ": expected " + expected[i] + " got " + actual[i]);
                                    }
                                }
                            });
                        }
                    }
                    // BERTScore between sequences, over real tokens only (padding dropped), ids 2/3 as the special ones.
                    Set<Integer> special = new HashSet<>(Set.of(2, 3));
                    for (int a = 0; a < seqs.size(); a++) {
                        for (int b = 0; b < seqs.size(); b++) {
                            if (a == b) continue;
                            for (int l = 0; l <= layers; l++) {
                                int na = realTokens(seqs.get(a)), nb = realTokens(seqs.get(b));
                                int la = ids[a].length, lb = ids[b].length;
                                float[] ra = Arrays.copyOfRange(refStates[a], l * la * h, l * la * h + na * h);
                                float[] rb = Arrays.copyOfRange(refStates[b], l * lb * h, l * lb * h + nb * h);
                                float[] oa = Arrays.copyOf(outs[a].hiddenStates().get(l), na * h);
                                float[] ob = Arrays.copyOf(outs[b].hiddenStates().get(l), nb * h);
                                int[] ia = Arrays.copyOf(ids[a], na), ib = Arrays.copyOf(ids[b], nb);
                                BertScore.Idf idf = BertScore.Idf.fromReferences(java.util.List.of(ib), special);
                                BertScore.Score expected = BertScore.score(ra, ia, rb, ib, h, idf);
                                BertScore.Score actual = BertScore.score(oa, ia, ob, ib, h, idf);
                                area.check(name + "/bertscore seq" + a + " vs seq" + b + " layer " + l, () -> {
                                    if (Math.abs(expected.f1() - actual.f1()) > 1e-5 || Math.abs(expected.precision() - actual.precision()) > 1e-5
                                            || Math.abs(expected.recall() - actual.recall()) > 1e-5) {
                                        throw new AssertionError("expected " + expected + " got " + actual);
                                    }
                                });
                            }
                        }
                    }
                }
            }
        }
        area.finish();
    }

    private static int realTokens(JsonNode seq) {
        int n = 0;
        for (JsonNode m : seq.get("attention_mask")) n += m.asInt();
        return n;
    }
}
