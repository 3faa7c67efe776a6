package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class Bnb4bitWeightTest {
    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    @Test
    void codesOfTheTableValuesAreThemselves() {
        for (QuantType t : QuantType.values()) {
            float[] codes = t.codes();
            for (int i = 0; i < 16; i++) {
                if (t == QuantType.FP4 && i == 8) continue; // -0 and +0 are one value; +0 takes code 0
                assertEquals(i, t.index(codes[i]), t + " code " + i);
            }
        }
    }

    @Test
    void oddElementCountPadsWithTheZeroCode() {
        for (QuantType t : QuantType.values()) {
            Bnb4bitWeight w = Bnb4bitWeight.quantize(new float[]{1, -1, 0.5f}, new long[]{3}, t, false);
            assertEquals(2, w.packed().length);
            assertEquals(t.zeroCode(), w.packed()[1] & 0xF);
            assertEquals(1f, w.dequantize()[0]);
            assertEquals(-1f, w.dequantize()[1]);
        }
    }

    /** The products read the codes through GEMM panels (both orientations) and equal the dequantized matrix's. */
    @Test
    void panelProductsEqualTheDequantizedMatrix() {
        int out = 37, in = 70, rows = 5;
        Bnb4bitWeight w = Bnb4bitWeight.quantize(random(out * in, 1), new long[]{out, in}, QuantType.NF4, true);
        float[] d = w.dequantize();
        float[] x = random(rows * in, 2), dy = random(rows * out, 3);
        float[] y = new float[rows * out];
        Gemm.gemm(false, rows, x, 0, w.panels(false, ComputeDtype.FLOAT32_EXACT), y, 0, false);
        float[] dx = new float[rows * in];
        Gemm.gemm(false, rows, dy, 0, w.panels(true, ComputeDtype.FLOAT32_EXACT), dx, 0, true);
        for (int i = 0; i < rows; i++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int c = 0; c < in; c++) s += (double) x[i * in + c] * d[o * in + c];
                assertEquals(s, y[i * out + o], 1e-4);
            }
            for (int c = 0; c < in; c++) {
                double s = 0;
                for (int o = 0; o < out; o++) s += (double) dy[i * out + o] * d[o * in + c];
                assertEquals(s, dx[i * in + c], 1e-4);
            }
        }
    }

    /**
     * The panels hold exactly the dequantized (and compute-dtype rounded) values: odd row lengths put rows, blocks and
     * panel segments on odd elements (a low nibble first), and both orientations and compute dtypes must give the
     * same products, bit for bit, as the dense matrix of those values.
     */
    @Test
    void panelsHoldExactlyTheDequantizedValuesAtOddOffsets() {
        for (int[] shape : new int[][]{{37, 71}, {130, 193}, {3, 5}}) {
            int out = shape[0], in = shape[1], rows = 13;
            Bnb4bitWeight w = Bnb4bitWeight.quantize(random(out * in, 7), new long[]{out, in}, QuantType.NF4, true);
            for (ComputeDtype dtype : new ComputeDtype[]{ComputeDtype.FLOAT32_EXACT, ComputeDtype.parse("bfloat16"), ComputeDtype.parse("float16")}) {
                float[] d = w.dequantize();
                if (dtype != ComputeDtype.FLOAT32_EXACT) for (int i = 0; i < d.length; i++) d[i] = dtype.round(d[i]);
                float[] x = random(rows * in, 8), dy = random(rows * out, 9);
                float[] y = new float[rows * out], yDense = new float[rows * out];
                Gemm.gemm(false, rows, x, 0, w.panels(false, dtype), y, 0, false);
                Gemm.gemm(false, true, rows, out, in, x, 0, d, 0, yDense, 0, false);
                assertArrayEquals(yDense, y, dtype + " forward " + out + "x" + in);
                float[] dx = new float[rows * in], dxDense = new float[rows * in];
                Gemm.gemm(false, rows, dy, 0, w.panels(true, dtype), dx, 0, false);
                Gemm.gemm(false, false, rows, in, out, dy, 0, d, 0, dxDense, 0, false);
                assertArrayEquals(dxDense, dx, dtype + " input gradient " + out + "x" + in);
            }
        }
    }

    @Test
    void safetensorsLayoutRoundTrips(@TempDir Path dir) {
        List<SafeTensor> tensors = new ArrayList<>();
        Bnb4bitWeight a = Bnb4bitWeight.quantize(random(300 * 64, 3), new long[]{300, 64}, QuantType.NF4, true);
        Bnb4bitWeight b = Bnb4bitWeight.quantize(random(9 * 7, 4), new long[]{9, 7}, QuantType.FP4, false);
        tensors.addAll(BnbLayout.tensors("a.weight", a));
        tensors.addAll(BnbLayout.tensors("b.weight", b));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertTrue(BnbLayout.isQuantized(c, "a.weight"));
            assertArrayEquals(a.dequantize(), BnbLayout.read(c, "a.weight").dequantize());
            assertArrayEquals(b.dequantize(), BnbLayout.read(c, "b.weight").dequantize());
            assertArrayEquals(a.packed(), BnbLayout.read(c, "a.weight").packed());
        }
    }

    @Test
    void missingPartsAreNamed(@TempDir Path dir) {
        Bnb4bitWeight a = Bnb4bitWeight.quantize(random(128, 5), new long[]{2, 64}, QuantType.NF4, true);
        List<SafeTensor> tensors = new ArrayList<>(BnbLayout.tensors("a.weight", a));
        tensors.removeIf(t -> t.name().equals("a.weight.nested_absmax"));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors, Map.of());
        try (Checkpoint c = Checkpoint.open(dir)) {
            JllmException e = assertThrows(JllmException.class, () -> BnbLayout.read(c, "a.weight"));
            assertTrue(e.getMessage().contains("a.weight.nested_absmax"), e.getMessage());
        }
    }

    @Test
    void wrongByteCountIsRejected() {
        assertThrows(JllmException.class, () -> new Bnb4bitWeight(QuantType.NF4, new long[]{4, 64}, new byte[10], new float[4], null));
    }
}
