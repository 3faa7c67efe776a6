package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class Bnb8bitWeightTest {
    /** W = [[1, -2, 0.5, 4], [0.25, 0.5, -1, 0]]: every value exact in float16, so the codes can be worked by hand. */
    private static final float[] W = {1, -2, 0.5f, 4, 0.25f, 0.5f, -1, 0};
    private static final float K = 6.200124e-05f;
    private static final float INV127 = (float) (1.0 / 127.0);

    @Test
    void weightCodesAreRowwiseRoundHalfEven() {
        Bnb8bitWeight w = Bnb8bitWeight.quantize(W, 2, 4);
        // row 0: absmax 4, scale 31.75: 31.75 -> 32, -63.5 -> -64 (half to even), 15.875 -> 16, 127
        // row 1: absmax 1, scale 127: 31.75 -> 32, 63.5 -> 64 (half to even), -127, 0
        assertArrayEquals(new byte[]{32, -64, 16, 127, 32, 64, -127, 0}, w.cb());
        assertArrayEquals(new float[]{4, 1}, w.scb());
        float[] d = w.dequantize();
        assertEquals(32 * (4 * INV127), d[0]);
        assertEquals(-127 * (1 * INV127), d[6]);
    }

    @Test
    void weightsAreQuantizedFromTheirFloat16Values() {
        // 1.0001 is 1.0 in float16, so the row's absmax is exactly 1
        Bnb8bitWeight w = Bnb8bitWeight.quantize(new float[]{1.0001f, 0.5f}, 1, 2);
        assertEquals(1f, w.scb()[0]);
        assertArrayEquals(new byte[]{127, 64}, w.cb());
    }

    @Test
    void forwardWithoutThresholdIsTheInt8ProductDequantized() {
        Bnb8bitWeight w = Bnb8bitWeight.quantize(W, 2, 4);
        float[] x = {2, 1, -1, 0.5f};
        // x: absmax 2, scale 63.5: 127, 63.5 -> 64, -63.5 -> -64, 31.75 -> 32
        Int8Rows a = Int8Rows.quantize(x, 1, 4, 0);
        assertArrayEquals(new byte[]{127, 64, -64, 32}, a.codes());
        assertArrayEquals(new float[]{2}, a.stats());
        assertEquals(0, a.outlierCols().length);
        float[] y = new float[2];
        w.forward(y, x, 1, 0);
        // 127*32 + 64*-64 - 64*16 + 32*127 = 3008; 127*32 + 64*64 + 64*127 + 0 = 16288
        assertEquals((float) 3008 * (2f * 4f) * K, y[0]);
        assertEquals((float) 16288 * (2f * 1f) * K, y[1]);
        assertEquals(1.5, y[0], 0.01); // the exact product x·W₀ is 1.5
        assertEquals(2.0, y[1], 0.03);
    }

    @Test
    void outlierColumnsAreComputedAgainstTheDequantizedWeight() {
        Bnb8bitWeight w = Bnb8bitWeight.quantize(W, 2, 4);
        float[] x = {2, 1, -1, 0.5f};
        // threshold 1.5: |2| >= 1.5 makes column 0 an outlier; the rest has absmax 1, scale 127
        Int8Rows a = Int8Rows.quantize(x, 1, 4, 1.5);
        assertArrayEquals(new int[]{0}, a.outlierCols());
        assertArrayEquals(new byte[]{0, 127, -127, 64}, a.codes());
        assertArrayEquals(new float[]{1}, a.stats());
        float[] y = new float[2];
        w.forward(y, x, 1, 1.5);
        // int8 part: 127*-64 - 127*16 + 64*127 = -2032 and 127*64 + 127*127 + 0 = 24257; outlier: 2 * CB[o][0]·SCB[o]/127
        assertEquals((float) -2032 * (1f * 4f) * K + 2f * (32 * 4f * INV127), y[0]);
        assertEquals((float) 24257 * (1f * 1f) * K + 2f * (32 * 1f * INV127), y[1]);
        // a threshold above every |x| is the plain int8 product
        float[] plain = new float[2], high = new float[2];
        w.forward(plain, x, 1, 0);
        w.forward(high, x, 1, 6.0);
        assertArrayEquals(plain, high);
    }

    @Test
    void aNonOutlierValueInAnOutlierColumnStillScalesItsRow() {
        // only x[0][0] = 2 passes the threshold; x[1][0] = 0.5 is in the outlier column but counts toward row 1's absmax
        Int8Rows a = Int8Rows.quantize(new float[]{2, 1, 0.5f, 0.25f}, 2, 2, 1.5);
        assertArrayEquals(new int[]{0}, a.outlierCols());
        assertArrayEquals(new float[]{1, 0.5f}, a.stats());
        assertArrayEquals(new byte[]{0, 127, 0, 64}, a.codes()); // 0.25 * 254 = 63.5 -> 64
    }

    @Test
    void thresholdIsComparedInFloat16AndInclusive() {
        // 6.0 itself is an outlier at threshold 6 (bitsandbytes tests |x| >= threshold)
        assertArrayEquals(new int[]{1}, Int8Rows.quantize(new float[]{1, 6, 2}, 1, 3, 6.0).outlierCols());
        // 6.001 rounds to 6.0 in float16, so 6.0 (and 6.0005, also 6.0 in float16) are outliers at threshold 6.001
        assertArrayEquals(new int[]{1}, Int8Rows.quantize(new float[]{1, 6.0005f, 2}, 1, 3, 6.001).outlierCols());
    }

    @Test
    void zeroRowsGiveZeroOutput() {
        Bnb8bitWeight w = Bnb8bitWeight.quantize(new float[]{0, 0, 1, 2}, 2, 2);
        assertArrayEquals(new float[]{0, 2}, w.scb());
        float[] y = new float[4];
        w.forward(y, new float[]{0, 0, 1, 1}, 2, 0);
        assertEquals(0f, y[0]);
        assertEquals(0f, y[1]);
        assertEquals(0f, y[2]);
        assertTrue(y[3] > 2.9 && y[3] < 3.1);
    }

    @Test
    void randomProductsStayCloseToTheFloatProduct() {
        int out = 23, in = 40, rows = 6;
        Random r = new Random(3);
        float[] wv = new float[out * in], x = new float[rows * in], dy = new float[rows * out];
        for (int i = 0; i < wv.length; i++) wv[i] = (float) r.nextGaussian();
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        for (int i = 0; i < dy.length; i++) dy[i] = (float) r.nextGaussian();
        x[5] = 9; // an outlier in column 5
        Bnb8bitWeight w = Bnb8bitWeight.quantize(wv, out, in);
        float[] y0 = new float[rows * out], y6 = new float[rows * out];
        w.forward(y0, x, rows, 0);
        w.forward(y6, x, rows, 6);
        double err0 = 0, err6 = 0;
        for (int i = 0; i < rows; i++) {
            for (int o = 0; o < out; o++) {
                double exact = 0;
                for (int c = 0; c < in; c++) exact += (double) x[i * in + c] * wv[o * in + c];
                err0 = Math.max(err0, Math.abs(exact - y0[i * out + o]));
                err6 = Math.max(err6, Math.abs(exact - y6[i * out + o]));
            }
        }
        assertTrue(err6 < err0, "the outlier decomposition must help: " + err6 + " vs " + err0);
        assertTrue(err6 < 0.3, "error " + err6);
        // the input gradient is dy·W' with W' = CB·SCB/127
        float[] wd = w.dequantize();
        float[] dx = new float[rows * in];
        dx[0] = 1; // accumulates
        w.inputGradient(dx, dy, rows);
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < in; c++) {
                float expect = i == 0 && c == 0 ? 1 : 0;
                for (int o = 0; o < out; o++) expect += dy[i * out + o] * wd[o * in + c];
                assertEquals(expect, dx[i * in + c], 1e-4);
            }
        }
    }

    @Test
    void saveLoadRoundTripIsByteIdentical(@TempDir Path dir) throws Exception {
        Random r = new Random(5);
        float[] v = new float[12 * 7];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        Bnb8bitWeight w = Bnb8bitWeight.quantize(v, 12, 7);
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors");
        SafetensorsWriter.write(a, Bnb8bitLayout.tensors("l.q_proj.weight", w), Map.of("format", "pt"));
        Bnb8bitWeight back;
        try (Checkpoint ck = Checkpoint.open(a)) {
            assertTrue(Bnb8bitLayout.isQuantized(ck, "l.q_proj.weight"));
            assertEquals(DType.I8, ck.tensor("l.q_proj.weight").dtype());
            assertEquals(DType.F32, ck.tensor("l.q_proj.SCB").dtype());
            assertEquals(DType.U8, ck.tensor("l.q_proj.weight_format").dtype());
            assertEquals(0, ck.tensor("l.q_proj.weight_format").shape().length);
            back = Bnb8bitLayout.read(ck, "l.q_proj.weight");
        }
        assertArrayEquals(w.cb(), back.cb());
        assertArrayEquals(w.scb(), back.scb());
        SafetensorsWriter.write(b, Bnb8bitLayout.tensors("l.q_proj.weight", back), Map.of("format", "pt"));
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
    }

    private static JllmException readBroken(Path dir, List<SafeTensor> tensors) {
        Path f = dir.resolve("broken.safetensors");
        SafetensorsWriter.write(f, tensors, Map.of());
        try (Checkpoint ck = Checkpoint.open(f)) {
            return assertThrows(JllmException.class, () -> Bnb8bitLayout.read(ck, "m.weight"));
        }
    }

    @Test
    void badCheckpointsAreRefusedWithTheTensorNamed(@TempDir Path dir) {
        Bnb8bitWeight w = Bnb8bitWeight.quantize(W, 2, 4);
        List<SafeTensor> good = Bnb8bitLayout.tensors("m.weight", w);

        var floatCodes = new ArrayList<>(good);
        floatCodes.set(0, SafeTensor.ofFloats("m.weight", new long[]{2, 4}, W));
        assertTrue(readBroken(dir, floatCodes).getMessage().contains("expected I8"));

        var shortScb = new ArrayList<>(good);
        shortScb.set(1, SafeTensor.ofFloats("m.SCB", new long[]{1}, new float[]{4}));
        assertTrue(readBroken(dir, shortScb).getMessage().contains("m.SCB"));

        var negative = new ArrayList<>(good);
        negative.set(1, SafeTensor.ofFloats("m.SCB", new long[]{2}, new float[]{4, -1}));
        assertTrue(readBroken(dir, negative).getMessage().contains("m.SCB'[1]"));

        var tiled = new ArrayList<>(good);
        tiled.set(2, SafeTensor.ofBytes("m.weight_format", DType.U8, new long[0], new byte[]{2}));
        assertTrue(readBroken(dir, tiled).getMessage().contains("col_turing"));

        var noCodes = new ArrayList<>(good.subList(1, 3));
        assertTrue(readBroken(dir, noCodes).getMessage().contains("missing tensor 'm.weight'"));

        // without weight_format the layout is row-major, as bitsandbytes assumes
        Path f = dir.resolve("noformat.safetensors");
        SafetensorsWriter.write(f, good.subList(0, 2), Map.of());
        try (Checkpoint ck = Checkpoint.open(f)) {
            assertArrayEquals(w.cb(), Bnb8bitLayout.read(ck, "m.weight").cb());
        }
        assertThrows(JllmException.class, () -> Bnb8bitWeight.quantize(new float[3], 2, 2));
        assertThrows(JllmException.class, () -> new Bnb8bitWeight(new long[]{2, 2}, new byte[4], new float[1]));
    }
}
