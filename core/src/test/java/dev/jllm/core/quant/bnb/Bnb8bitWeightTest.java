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
        float[] d = w.dequantize(), g = w.backwardWeight();
        assertEquals(32 * 4f * INV127, d[0]);
        assertEquals(-127 * 1f * INV127, d[6]);
        assertEquals(32 * (4 * INV127), g[0]);
        assertEquals(-127 * (1 * INV127), g[6]);
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
        randomProducts(6);
        randomProducts(Bnb8bitWeight.GEMM_ROWS + 4); // the GEMM paths
    }

    private static void randomProducts(int rows) {
        int out = 23, in = 40;
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
        // the input gradient is dy·W' with W' = CB·(SCB/127)
        float[] wd = w.backwardWeight();
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

    /**
     * Cross-check against PyTorch (1.13, CPU) running a transcription of bitsandbytes' reference {@code default} kernels
     * ({@code int8_vectorwise_quant} on float16 inputs, {@code int8_linear_matmul}, {@code int8_mm_dequant},
     * {@code int8_mixed_scaled_mm}) on random W [5, 7] and X [3, 7]·3 with threshold 6: codes and statistics equal,
     * outputs within float32 summation order (the outlier columns are 1 and 6).
     */
    @Test
    void matchesATorchRunOfBitsandbytesDefaultKernels() {
        float[] w = {-1.1258398294448853f, -1.152360200881958f, -0.2505785822868347f, -0.4338788092136383f, 0.8487103581428528f, 0.6920091509819031f, -0.31601276993751526f, -2.1152193546295166f, 0.32227492332458496f, -1.2633347511291504f, 0.34998318552970886f, 0.30813392996788025f, 0.11984150856733322f, 1.237657904624939f, 1.1167771816253662f, -0.2472781538963318f, -1.3526537418365479f, -1.6959311962127686f, 0.5666506290435791f, 0.2484147548675537f, 0.4396958351135254f, 0.11241118609905243f, 0.6407923698425293f, 0.441156268119812f, -0.21586325764656067f, -0.7425481677055359f, 0.5627213716506958f, 0.05250748619437218f, 0.5228604674339294f, 2.3022053241729736f, -1.4688938856124878f, -1.586688756942749f, 1.203223705291748f, 0.08453469723463058f, -1.2001394033432007f};
        float[] x = {0.5335311889648438f, -0.6910064220428467f, -1.1752631664276123f, 1.6298842430114746f, -1.1854726076126099f, 4.527365684509277f, 6.245866298675537f, 5.1201348304748535f, 7.1411027908325195f, -3.376804828643799f, -0.9509942531585693f, -3.27740478515625f, -0.25558289885520935f, 0.9828429222106934f, -2.2821216583251953f, -4.797245979309082f, 0.05546000227332115f, -2.2512805461883545f, 0.5562239289283752f, 1.863415002822876f, 1.914544701576233f};
        byte[] cb = {-124, -127, -28, -48, 94, 76, -35, -127, 19, -76, 21, 18, 7, 74, 84, -19, -101, -127, 42, 19, 33, 19, 110, 75, -37, -127, 96, 9, 29, 127, -81, -88, 66, 5, -66};
        float[] scb = {1.15234375f, 2.115234375f, 1.6962890625f, 0.74267578125f, 2.302734375f};
        float[] expected = {-0.08553600311279297f, 8.586098670959473f, 2.8226335048675537f, 2.4882211685180664f, -10.670572280883789f, -15.97372817993164f, -4.419655799865723f, 8.684093475341797f, 6.228088855743408f, 20.548999786376953f, 10.206880569458008f, 5.180453300476074f, 4.099462509155273f, -2.111762046813965f, -10.123173713684082f};
        Bnb8bitWeight q = Bnb8bitWeight.quantize(w, 5, 7);
        assertArrayEquals(cb, q.cb());
        assertArrayEquals(scb, q.scb());
        assertArrayEquals(new int[]{1, 6}, Int8Rows.quantize(x, 3, 7, 6.0).outlierCols());
        float[] y = new float[15];
        q.forward(y, x, 3, 6.0);
        for (int i = 0; i < y.length; i++) assertEquals(expected[i], y[i], 2e-6, "y[" + i + "]");
    }

    @Test
    void gemmPathGivesTheIntegerProductsExactly() {
        // 2500 columns: three depth chunks, and codes at ±127 so that sums reach the chunk bound
        int out = 9, in = 2500, rows = Bnb8bitWeight.GEMM_ROWS + 3;
        Random r = new Random(11);
        float[] wv = new float[out * in];
        for (int i = 0; i < wv.length; i++) wv[i] = r.nextBoolean() ? 1 : -1;
        Bnb8bitWeight w = Bnb8bitWeight.quantize(wv, out, in);
        byte[] ca = new byte[rows * in];
        for (int i = 0; i < ca.length; i++) ca[i] = (byte) (r.nextInt(255) - 127);
        for (int c = 0; c < in; c++) ca[c] = w.cb()[c]; // row 0 equals weight row 0: the largest possible sum
        int[] gemm = w.int32Products(ca, rows);
        for (int i = 0; i < rows; i++) {
            for (int o = 0; o < out; o++) {
                int expect = 0;
                for (int c = 0; c < in; c++) expect += ca[i * in + c] * w.cb()[o * in + c];
                assertEquals(expect, gemm[i * out + o], "row " + i + " out " + o);
            }
        }
        assertEquals(127 * 127 * in, gemm[0]);
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
