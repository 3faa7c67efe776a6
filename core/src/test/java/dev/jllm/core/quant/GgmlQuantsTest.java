package dev.jllm.core.quant;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgmlQuantsTest {
    /** Relative RMS error bounds of a Gaussian round trip; ggml's own quantizers land well inside these. */
    static double bound(GgmlType t) {
        return switch (t) {
            case Q8_0 -> 0.01;
            case Q6_K -> 0.03;
            case Q5_0, Q5_K -> 0.06;
            case Q4_0, Q4_1, Q4_K -> 0.12;
            default -> throw new IllegalArgumentException(t.toString());
        };
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void roundTripErrorIsSmall(GgmlType type) {
        Random r = new Random(7);
        int n = 4096;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * (1 + i / 1024));
        MemorySegment q = GgmlQuants.quantize(type, x);
        assertEquals(type.byteSize(n), q.byteSize());
        float[] back = GgmlQuants.dequantize(type, q, n);
        double err = 0, ref = 0;
        for (int i = 0; i < n; i++) {
            err += (x[i] - back[i]) * (double) (x[i] - back[i]);
            ref += x[i] * (double) x[i];
        }
        double rel = Math.sqrt(err / ref);
        assertTrue(rel < bound(type), type + " relative RMS error " + rel);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q4_K", "Q5_K", "Q6_K"})
    void zerosAndConstantsSurvive(GgmlType type) {
        int n = 256;
        float[] zeros = new float[n];
        float[] back = GgmlQuants.dequantize(type, GgmlQuants.quantize(type, zeros), n);
        for (float v : back) assertEquals(0f, Math.abs(v));
        float[] constant = new float[n];
        java.util.Arrays.fill(constant, -0.75f);
        back = GgmlQuants.dequantize(type, GgmlQuants.quantize(type, constant), n);
        for (float v : back) assertEquals(-0.75, v, 0.75 * 0.02, type.toString());
    }

    @Test
    void partialBlocksAndUnsupportedTypesAreRejected() {
        assertThrows(JllmException.class, () -> GgmlQuants.quantize(GgmlType.Q4_K, new float[100]));
        assertThrows(JllmException.class, () -> GgmlQuants.quantize(GgmlType.Q3_K, new float[256]));
        assertThrows(JllmException.class, () -> GgmlQuants.dequantize(GgmlType.IQ2_XXS, MemorySegment.ofArray(new byte[66]), 256));
        assertThrows(JllmException.class, () -> GgmlQuants.dequantize(GgmlType.Q4_K, MemorySegment.ofArray(new byte[143]), 256));
    }
}
