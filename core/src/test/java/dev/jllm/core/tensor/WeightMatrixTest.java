package dev.jllm.core.tensor;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Simd;
import dev.jllm.core.quant.GgmlQuants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeightMatrixTest {
    static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0,
            GgmlType.Q4_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};

    @AfterEach
    void restore() {
        Simd.setEnabled(true);
    }

    static List<Object[]> cases() {
        List<Object[]> out = new ArrayList<>();
        for (GgmlType t : TYPES) for (boolean v : new boolean[]{true, false}) out.add(new Object[]{t, v});
        return out;
    }

    /** Builds a matrix of the given type from Gaussian values (scaled per row so rows differ in magnitude). */
    static WeightMatrix make(GgmlType type, int rows, int cols, long seed) {
        Random r = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < rows; i++) {
            float scale = 0.01f + r.nextFloat();
            for (int j = 0; j < cols; j++) w[i * cols + j] = (float) r.nextGaussian() * scale + (j % 7 == 0 ? 0.05f : 0f);
        }
        return of(type, w, rows, cols);
    }

    static WeightMatrix of(GgmlType type, float[] w, int rows, int cols) {
        MemorySegment seg;
        switch (type) {
            case F32 -> seg = MemorySegment.ofArray(w.clone());
            case F16, BF16 -> {
                seg = MemorySegment.ofArray(new byte[w.length * 2]);
                var layout = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < w.length; i++) {
                    short h = type == GgmlType.F16 ? DType.floatToF16(w[i]) : DType.floatToBf16(w[i]);
                    seg.set(layout, 2L * i, h);
                }
            }
            default -> seg = GgmlQuants.quantize(type, w);
        }
        return WeightMatrix.of(type, seg, rows, cols);
    }

    static float[] randomVector(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    static double exactDot(float[] row, float[] x, int xOff) {
        double s = 0;
        for (int i = 0; i < row.length; i++) s += (double) row[i] * x[xOff + i];
        return s;
    }

    static double absDot(float[] row, float[] x, int xOff) {
        double s = 0;
        for (int i = 0; i < row.length; i++) s += Math.abs((double) row[i] * x[xOff + i]);
        return s;
    }

    /** float32 accumulation error bound: a few ulps of the absolute sum per log2(n) levels, generously. */
    static void assertDot(double exact, double abs, float got, int n, String what) {
        double tol = abs * 1e-6 * (8 + Math.sqrt(n)) + 1e-30;
        assertTrue(Math.abs(exact - got) <= tol, what + ": exact " + exact + " got " + got + " (tol " + tol + ")");
    }

    @ParameterizedTest(name = "{0} vector={1}")
    @MethodSource("cases")
    void dotAndMatvecEqualDequantizeThenDot(GgmlType type, boolean vector) {
        Simd.setEnabled(vector);
        int rows = 37, cols = 768;
        WeightMatrix w = make(type, rows, cols, 11);
        assertEquals(type, w.type());
        Random r = new Random(5);
        float[] x = randomVector(r, cols + 3);
        float[] y = new float[rows + 2];
        w.matvec(x, 3, y, 2);
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            w.dequantizeRow(i, row, 0);
            double exact = exactDot(row, x, 3), abs = absDot(row, x, 3);
            assertDot(exact, abs, w.dot(i, x, 3), cols, type + " dot row " + i);
            assertDot(exact, abs, y[2 + i], cols, type + " matvec row " + i);
        }
    }

    @ParameterizedTest(name = "{0} vector={1}")
    @MethodSource("cases")
    void matmulEqualsPerTokenDots(GgmlType type, boolean vector) {
        Simd.setEnabled(vector);
        int rows = 70, cols = 512;
        WeightMatrix w = make(type, rows, cols, 12);
        Random r = new Random(6);
        float[] rowBuf = new float[cols];
        for (int n : new int[]{1, 2, 7, 13}) {
            float[] x = randomVector(r, n * cols);
            float[] y = new float[n * rows];
            w.matmul(x, n, y);
            for (int i = 0; i < rows; i++) {
                w.dequantizeRow(i, rowBuf, 0);
                for (int t = 0; t < n; t++) {
                    assertDot(exactDot(rowBuf, x, t * cols), absDot(rowBuf, x, t * cols), y[t * rows + i], cols,
                            type + " matmul n=" + n + " t=" + t + " row " + i);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void dequantizeRowMatchesBlockDequantizer(GgmlType type, boolean vector) {
        Simd.setEnabled(vector);
        int rows = 3, cols = 512;
        WeightMatrix w = make(type, rows, cols, 13);
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            w.dequantizeRow(i, row, 0);
            float[] expected = new float[cols];
            long rowBytes = type.byteSize(cols);
            MemorySegment src = w.data().asSlice(i * rowBytes, rowBytes);
            switch (type) {
                case F32 -> MemorySegment.copy(src, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, expected, 0, cols);
                case F16 -> { for (int j = 0; j < cols; j++) expected[j] = DType.f16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * j)); }
                case BF16 -> { for (int j = 0; j < cols; j++) expected[j] = DType.bf16ToFloat(src.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * j)); }
                default -> GgmlQuants.dequantize(type, src, 0, expected, 0, cols);
            }
            for (int j = 0; j < cols; j++) {
                assertEquals(Float.floatToIntBits(expected[j]), Float.floatToIntBits(row[j]), type + " row " + i + " col " + j);
            }
        }
    }

    @Test
    void f16WideningIsExactForEveryBitPattern() {
        int n = 1 << 16;
        MemorySegment seg = MemorySegment.ofArray(new byte[2 * n]);
        for (int i = 0; i < n; i++) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, (short) i);
        WeightMatrix w = WeightMatrix.of(GgmlType.F16, seg, 1, n);
        float[] row = new float[n];
        w.dequantizeRow(0, row, 0);
        for (int i = 0; i < n; i++) {
            float expected = Float.float16ToFloat((short) i);
            if (Float.isNaN(expected)) assertTrue(Float.isNaN(row[i]), "bits " + i);
            else assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(row[i]), "bits " + Integer.toHexString(i));
        }
    }

    @Test
    void blockScaleLookupIsExactForEveryBitPattern() {
        MemorySegment seg = MemorySegment.ofArray(new byte[2]);
        for (int i = 0; i < 1 << 16; i++) {
            seg.set(Layouts.I16, 0, (short) i);
            float expected = Float.float16ToFloat((short) i), got = QuantDots.f16(seg, 0);
            if (Float.isNaN(expected)) assertTrue(Float.isNaN(got), "bits " + Integer.toHexString(i));
            else assertEquals(Float.floatToIntBits(expected), Float.floatToIntBits(got), "bits " + Integer.toHexString(i));
        }
    }

    /**
     * Blocks of random bytes (every scale code, nibble and sign pattern, not just what a quantizer emits) with their
     * fp16 scale fields set to random finite values: the fused kernels equal dequantize-then-dot.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("blockTypes")
    void dotOnRandomBlockBytesEqualsDequantizeThenDot(GgmlType type) {
        int rows = 13, cols = 1024;
        Random r = new Random(type.ordinal());
        byte[] bytes = new byte[(int) type.byteSize((long) rows * cols)];
        r.nextBytes(bytes);
        MemorySegment seg = MemorySegment.ofArray(bytes);
        long blocks = (long) rows * cols / type.blockSize();
        for (long b = 0; b < blocks; b++) {
            for (int off : scaleOffsets(type)) {
                float scale = (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(2, -14 + 16 * r.nextDouble()));
                seg.set(Layouts.I16, b * type.typeSize() + off, Float.floatToFloat16(scale));
            }
        }
        WeightMatrix w = WeightMatrix.of(type, seg, rows, cols);
        float[] x = randomVector(r, cols);
        float[] y = new float[rows];
        w.matvec(x, y);
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            w.dequantizeRow(i, row, 0);
            assertDot(exactDot(row, x, 0), absDot(row, x, 0), y[i], cols, type + " row " + i);
        }
    }

    /**
     * A matvec large enough to be cut into chunks for the threads, whose row counts leave remainders after the
     * multi-row kernels' parts (301 = 4·64 + 45): every row is computed, once, to its dequantize-then-dot value.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("allTypes")
    void chunkedMatvecCoversEveryRow(GgmlType type) {
        int rows = 301, cols = 256;
        WeightMatrix w = make(type, rows, cols, 3);
        float[] x = randomVector(new Random(9), cols);
        float[] y = new float[rows + 2];
        java.util.Arrays.fill(y, Float.NaN);
        w.matvec(x, 0, y, 1);
        assertTrue(Float.isNaN(y[0]) && Float.isNaN(y[rows + 1]), "wrote outside y[1 .. rows]");
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            w.dequantizeRow(i, row, 0);
            assertDot(exactDot(row, x, 0), absDot(row, x, 0), y[1 + i], cols, type + " row " + i);
        }
    }

    static List<GgmlType> allTypes() {
        return List.of(TYPES);
    }

    static List<GgmlType> blockTypes() {
        return List.of(GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K);
    }

    /** Byte offsets of the fp16 fields in a block of {@code type}. */
    static int[] scaleOffsets(GgmlType type) {
        return switch (type) {
            case Q8_0, Q4_0 -> new int[]{0};
            case Q4_1, Q4_K, Q5_K -> new int[]{0, 2};
            case Q6_K -> new int[]{208};
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    @Test
    void badShapesAreRejected() {
        MemorySegment small = MemorySegment.ofArray(new byte[100]);
        assertThrows(JllmException.class, () -> WeightMatrix.of(GgmlType.F32, small, 10, 10));
        assertThrows(JllmException.class, () -> WeightMatrix.of(GgmlType.Q4_K, MemorySegment.ofArray(new byte[1000]), 1, 100));
        assertThrows(JllmException.class, () -> WeightMatrix.of(GgmlType.Q2_K, MemorySegment.ofArray(new byte[84]), 1, 256));
        assertThrows(JllmException.class, () -> WeightMatrix.of(DType.I32, small, 5, 5));
        WeightMatrix w = make(GgmlType.F32, 4, 8, 1);
        assertThrows(JllmException.class, () -> w.matvec(new float[7], new float[4]));
        assertThrows(JllmException.class, () -> w.matvec(new float[8], new float[3]));
    }
}
