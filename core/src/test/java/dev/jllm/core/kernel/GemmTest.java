package dev.jllm.core.kernel;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GemmTest {
    private static final int[][] SHAPES = {
            {1, 1, 1}, {1, 64, 7}, {6, 64, 256}, {7, 65, 257}, {13, 130, 300}, {97, 200, 513}, {5, 3, 1000},
            {2, 1, 3}, {100, 769, 17}, {12, 1600, 64}, {37, 64, 600}
    };

    @AfterEach
    void restore() {
        Simd.setEnabled(true);
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    static double[] naive(int m, int n, int k, float[] a, float[] b) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) a[i * k + p] * b[j * k + p];
                c[i * n + j] = s;
            }
        return c;
    }

    static void assertClose(double[] expected, float[] actual, int k, String what) {
        double tol = 1e-5 * Math.sqrt(k) * 4 + 1e-5;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            assertTrue(err <= tol * Math.max(1, Math.abs(expected[i])), what + " at " + i + ": expected " + expected[i] + " got " + actual[i]);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void denseMatchesNaiveOnOddShapes(boolean vector) {
        Simd.setEnabled(vector);
        Random r = new Random(1);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(r, m * k), b = random(r, n * k);
            float[] c = new float[m * n];
            java.util.Arrays.fill(c, Float.NaN); // the result must overwrite, never accumulate into, C
            Gemm.sgemm(m, n, k, a, b, c);
            assertClose(naive(m, n, k, a, b), c, k, "dense " + m + "x" + n + "x" + k);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void packedMatchesNaive(boolean vector) {
        Simd.setEnabled(vector);
        Random r = new Random(2);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(r, m * k), b = random(r, n * k);
            Gemm.PackedB p = Gemm.pack(b, n, k);
            float[] c = new float[m * n];
            Gemm.sgemm(m, a, p, c);
            assertClose(naive(m, n, k, a, b), c, k, "packed " + m + "x" + n + "x" + k);
        }
    }

    @Test
    void offsetsAreHonoured() {
        Random r = new Random(3);
        int m = 9, n = 70, k = 33;
        float[] a = random(r, 5 + m * k), b = random(r, 3 + n * k), c = new float[7 + m * n];
        Gemm.sgemm(m, n, k, a, 5, b, 3, c, 7);
        float[] a0 = java.util.Arrays.copyOfRange(a, 5, a.length), b0 = java.util.Arrays.copyOfRange(b, 3, b.length);
        assertClose(naive(m, n, k, a0, b0), java.util.Arrays.copyOfRange(c, 7, c.length), k, "offsets");
        for (int i = 0; i < 7; i++) assertEquals(0f, c[i]);
    }

    @Test
    void singleAndTwoThreadsAgree() {
        Random r = new Random(4);
        int m = 50, n = 300, k = 270;
        float[] a = random(r, m * k), b = random(r, n * k);
        float[] c1 = new float[m * n], c2 = new float[m * n];
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            Gemm.sgemm(m, n, k, a, b, c1);
            Parallel.setThreads(2);
            Gemm.sgemm(m, n, k, a, b, c2);
        } finally {
            Parallel.setThreads(before);
        }
        assertEquals(java.util.Arrays.toString(c1), java.util.Arrays.toString(c2));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void packRowsTransposesIntoPanels(boolean vector) {
        Simd.setEnabled(vector);
        Random r = new Random(9);
        int stride = 300;
        float[] src = random(r, Gemm.NR * stride + 5);
        for (int rows : new int[]{Gemm.NR, Gemm.NR - 1, 1}) {
            for (int kc : new int[]{1, 15, 16, 17, 128, 257}) {
                float[] dst = new float[kc * Gemm.NR];
                java.util.Arrays.fill(dst, Float.NaN);
                Gemm.packRows(src, 5, stride, rows, Math.min(kc, stride - 5), dst, 0);
                int kk = Math.min(kc, stride - 5);
                for (int t = 0; t < kk; t++)
                    for (int j = 0; j < Gemm.NR; j++)
                        assertEquals(j < rows ? src[5 + j * stride + t] : 0f, dst[t * Gemm.NR + j], "rows=" + rows + " kc=" + kc + " t=" + t + " j=" + j);
            }
        }
    }

    /** Every layout of {@link Gemm#gemm}: op(A), op(B) stored either way, written or added to C. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void transposedOperandsAndAccumulationMatchNaive(boolean vector) {
        Simd.setEnabled(vector);
        Random r = new Random(7);
        for (int[] s : SHAPES) {
            int m = s[0], n = s[1], k = s[2];
            float[] a = random(r, m * k), b = random(r, n * k), c0 = random(r, m * n);
            double[] expected = naive(m, n, k, a, b);
            float[] aT = transpose(a, m, k), bT = transpose(b, n, k);
            for (int layout = 0; layout < 4; layout++) {
                boolean transA = (layout & 1) != 0, transB = (layout & 2) != 0;
                for (boolean accumulate : new boolean[]{false, true}) {
                    float[] c = accumulate ? c0.clone() : new float[m * n];
                    if (!accumulate) java.util.Arrays.fill(c, Float.NaN);
                    Gemm.gemm(transA, transB, m, n, k, transA ? aT : a, 0, transB ? b : bT, 0, c, 0, accumulate);
                    double[] want = expected.clone();
                    if (accumulate) for (int i = 0; i < want.length; i++) want[i] += c0[i];
                    assertClose(want, c, k, "gemm transA=" + transA + " transB=" + transB + " acc=" + accumulate + " " + m + "x" + n + "x" + k);
                }
            }
        }
    }

    static float[] transpose(float[] x, int rows, int cols) {
        float[] t = new float[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }
}
