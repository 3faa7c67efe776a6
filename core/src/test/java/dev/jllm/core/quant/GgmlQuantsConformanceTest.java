package dev.jllm.core.quant;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Simd;
import dev.jllm.core.tensor.WeightMatrix;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** gguf-py reference data under quant/ggml/: bit-exact dequantization, quantization and dot products. */
@Tag("conformance")
class GgmlQuantsConformanceTest {
    private static final java.util.Set<GgmlType> COMPUTE_TYPES = java.util.EnumSet.of(GgmlType.Q8_0, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
    private static final JsonMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

    static JsonNode read(Path p) throws Exception {
        return JSON.readTree(p.toFile());
    }

    static byte[] hex(JsonNode n) {
        return HexFormat.of().parseHex(n.asText());
    }

    static void assertBitExact(JsonNode expected, float[] actual, int off, String what) {
        assertEquals(expected.size(), actual.length - off < expected.size() ? -1 : expected.size(), what + ": length");
        for (int i = 0; i < expected.size(); i++) {
            float e = (float) expected.get(i).asDouble();
            float a = actual[off + i];
            if (Float.isNaN(e) && Float.isNaN(a)) continue;
            if (Float.floatToIntBits(e) != Float.floatToIntBits(a)) {
                throw new AssertionError(what + " element " + i + ": expected " + e + " got " + a);
            }
        }
    }

    @Test
    void ggmlBlockFormats() throws Exception {
        Path dir = Fixtures.resolve("quant", "ggml");
        var area = new Conformance("quant-ggml");
        for (Path file : Fixtures.list(dir, p -> p.toString().endsWith(".json"))) {
            JsonNode doc = read(file);
            GgmlType type = GgmlType.valueOf(doc.get("type").asText());
            String name = file.getFileName().toString();
            area.check(name + " geometry", () -> {
                assertEquals(doc.get("ggml_type").asInt(), type.id());
                assertEquals(doc.get("block_size").asInt(), type.blockSize());
                assertEquals(doc.get("type_size").asInt(), type.typeSize());
            });
            for (int b = 0; b < doc.get("blocks_hex").size(); b++) {
                int bi = b;
                String caseName = doc.get("block_cases").get(b).asText();
                area.check(name + " dequant " + caseName, () -> {
                    byte[] block = hex(doc.get("blocks_hex").get(bi));
                    float[] out = GgmlQuants.dequantize(type, MemorySegment.ofArray(block), type.blockSize());
                    assertBitExact(doc.get("dequant").get(bi), out, 0, type + " " + caseName);
                });
                if (COMPUTE_TYPES.contains(type)) {
                    for (boolean vector : new boolean[]{true, false}) {
                        area.check(name + " weight-matrix dequant " + caseName + (vector ? " (vector)" : " (scalar)"), () -> {
                            byte[] block = hex(doc.get("blocks_hex").get(bi));
                            Simd.setEnabled(vector);
                            try {
                                WeightMatrix w = WeightMatrix.of(type, MemorySegment.ofArray(block), 1, type.blockSize());
                                float[] out = new float[type.blockSize()];
                                w.dequantizeRow(0, out, 0);
                                assertBitExact(doc.get("dequant").get(bi), out, 0, type + " " + caseName);
                            } finally {
                                Simd.setEnabled(true);
                            }
                        });
                    }
                }
            }
            JsonNode dot = doc.get("dot");
            if (dot != null) {
                area.check(name + " dot", () -> {
                    var bytes = new java.io.ByteArrayOutputStream();
                    for (JsonNode h : dot.get("row_hex")) bytes.write(hex(h));
                    byte[] row = bytes.toByteArray();
                    int n = dot.get("x").size();
                    float[] x = new float[n];
                    for (int i = 0; i < n; i++) x[i] = (float) dot.get("x").get(i).asDouble();
                    WeightMatrix w = WeightMatrix.of(type, MemorySegment.ofArray(row), 1, n);
                    float[] deq = new float[n];
                    w.dequantizeRow(0, deq, 0);
                    JsonNode rowDequant = dot.get("row_dequant");
                    if (rowDequant != null) assertBitExact(rowDequant, deq, 0, "row_dequant");
                    double abs = 0;
                    for (int i = 0; i < n; i++) abs += Math.abs((double) deq[i] * x[i]);
                    double exact = dot.get("exact_f64").asDouble();
                    float got = w.dot(0, x, 0);
                    double tol = abs * 1e-6 * (8 + Math.sqrt(n));
                    if (Math.abs(got - exact) > tol) throw new AssertionError("dot: exact " + exact + " got " + got);
                    float[] y = new float[1];
                    w.matvec(x, y);
                    if (Math.abs(y[0] - exact) > tol) throw new AssertionError("matvec: exact " + exact + " got " + y[0]);
                });
                if (dot.has("x_q8_0_hex")) {
                    area.check(name + " x quantized to Q8_0", () -> {
                        int n = dot.get("x").size();
                        float[] x = new float[n];
                        for (int i = 0; i < n; i++) x[i] = (float) dot.get("x").get(i).asDouble();
                        var expected = new java.io.ByteArrayOutputStream();
                        for (JsonNode h : dot.get("x_q8_0_hex")) expected.write(hex(h));
                        assertEquals(HexFormat.of().formatHex(expected.toByteArray()),
                                HexFormat.of().formatHex(GgmlQuants.quantizeToBytes(GgmlType.Q8_0, x, 0, n)));
                    });
                }
            }
        }
        for (Path file : Fixtures.list(dir.resolve("quantize"), p -> p.toString().endsWith(".json"))) {
            JsonNode doc = read(file);
            GgmlType type = GgmlType.valueOf(doc.get("type").asText());
            String name = "quantize/" + file.getFileName();
            for (int r = 0; r < doc.get("input").size(); r++) {
                int ri = r;
                area.check(name + " row " + r, () -> {
                    JsonNode in = doc.get("input").get(ri);
                    float[] x = new float[in.size()];
                    for (int i = 0; i < x.length; i++) x[i] = (float) in.get(i).asDouble();
                    byte[] q = GgmlQuants.quantizeToBytes(type, x, 0, x.length);
                    assertEquals(doc.get("quantized_hex").get(ri).asText(), HexFormat.of().formatHex(q), "quantized bytes");
                    float[] back = GgmlQuants.dequantize(type, MemorySegment.ofArray(q), x.length);
                    assertBitExact(doc.get("dequant").get(ri), back, 0, "dequant");
                });
            }
        }
        area.finish();
    }
}
