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
            {2, 1, 3}, {100, 769, 17}, {12, 1600, 64}, {37, 64, 600},
            // around the 12-row × 32-column register tile and the 256-deep / 768-row blocks
            {12, 32, 16}, {13, 33, 255}, {11, 31, 256}, {25, 65, 257}, {24, 96, 512}, {1, 300, 300}, {800, 40, 20},
            {781, 37, 270}, {600, 700, 40}, {1000, 999, 40}
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

    @Test
    void teamOfTwoAgreesBitwiseWithOneThreadAcrossBlocks() {
        // m past one 768-row A block, k past one 256-deep block, n not a whole number of panels: the two workers
        // share packed A blocks through the barrier and must give exactly the single-thread sums.
        Random r = new Random(5);
        int m = 781, n = 1100, k = 530;
        float[] a = random(r, m * k), b = random(r, n * k);
        float[] c1 = new float[m * n], c2 = new float[m * n], c3 = new float[m * n], c4 = new float[m * n];
        Gemm.PackedB p = Gemm.pack(b, n, k);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            // one worker with all 35 panels of this C takes the row-wise loop order; the team below the column one
            Gemm.sgemm(m, n, k, a, b, c1);
            Simd.setEnabled(false);
            Gemm.sgemm(m, n, k, a, b, c4);
            Simd.setEnabled(true);
            Parallel.setThreads(2);
            Gemm.sgemm(m, n, k, a, b, c2);
            Gemm.sgemm(m, a, p, c3);
        } finally {
            Parallel.setThreads(before);
        }
        assertEquals(java.util.Arrays.toString(c1), java.util.Arrays.toString(c2));
        assertEquals(java.util.Arrays.toString(c1), java.util.Arrays.toString(c3));
        double[] expected = naive(m, n, k, a, b);
        assertClose(expected, c1, k, "team " + m + "x" + n + "x" + k);
        assertClose(expected, c4, k, "scalar row-wise " + m + "x" + n + "x" + k);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void packAInterleavesRowRangesAndWritesNothingElse(boolean vector) {
        Simd.setEnabled(vector);
        Random r = new Random(6);
        int lda = 301, rowsInA = 40;
        float[] a = random(r, rowsInA * lda + 3);
        int[][] cases = {{0, 40, 40, 256}, {0, 36, 40, 255}, {12, 24, 40, 33}, {24, 29, 29, 16}, {0, 12, 12, 300}, {12, 40, 40, 1}};
        for (int[] cs : cases) {
            int r0 = cs[0], r1 = cs[1], readable = cs[2], kc = cs[3];
            float[] dst = new float[48 * kc];
            java.util.Arrays.fill(dst, Float.NaN);
            Gemm.packA(a, 3, lda, r0, r1, readable, kc, dst);
            int panelEnd = (r1 + Gemm.MR - 1) / Gemm.MR * Gemm.MR;
            for (int i = 0; i < 48; i++) {
                for (int kk = 0; kk < kc; kk++) {
                    int at = (i / Gemm.MR) * Gemm.MR * kc + kk * Gemm.MR + i % Gemm.MR;
                    String what = "r0=" + r0 + " r1=" + r1 + " kc=" + kc + " row " + i + " k " + kk;
                    if (i < r0 || i >= panelEnd) assertTrue(Float.isNaN(dst[at]), what + " must be untouched");
                    else assertEquals(i < r1 ? a[3 + i * lda + kk] : 0f, dst[at], what);
                }
            }
        }
    }

    /**
     * The transposed-A copy (A stored [k, m]) writes one vector per depth step: it must still fill exactly the panels
     * of its row range, with zeros past the last row, and leave a teammate's panels alone.
     */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void transposedABlockFillsItsPanelsOnly(boolean vector) {
        Simd.setEnabled(vector);
        Random r = new Random(8);
        int m = 61, k = 40;
        float[] a = random(r, 5 + k * m);
        // {ic, pc, r0, r1, kc}: r1 - r0 not a multiple of MR, a row range ending near m, a block starting past row 0
        int[][] cases = {{0, 0, 0, 48, 16}, {0, 3, 12, 36, 37}, {24, 0, 12, 37, 40}, {0, 0, 36, 61, 1}, {48, 8, 0, 13, 32}};
        for (int[] cs : cases) {
            int ic = cs[0], pc = cs[1], r0 = cs[2], r1 = cs[3], kc = cs[4];
            int panels = (r1 + Gemm.MR - 1) / Gemm.MR + 1;
            float[] dst = new float[panels * Gemm.MR * kc];
            java.util.Arrays.fill(dst, Float.NaN);
            Gemm.packBlockOfA(a, 5, true, m, k, ic, pc, r0, r1, r1, kc, dst);
            int panelEnd = (r1 + Gemm.MR - 1) / Gemm.MR * Gemm.MR;
            for (int i = 0; i < panels * Gemm.MR; i++) {
                for (int kk = 0; kk < kc; kk++) {
                    int at = (i / Gemm.MR) * Gemm.MR * kc + kk * Gemm.MR + i % Gemm.MR;
                    String what = "ic=" + ic + " pc=" + pc + " r0=" + r0 + " r1=" + r1 + " kc=" + kc + " row " + i + " k " + kk;
                    if (i < r0 || i >= panelEnd) assertTrue(Float.isNaN(dst[at]), what + " must be untouched");
                    else assertEquals(i < r1 ? a[5 + (pc + kk) * m + ic + i] : 0f, dst[at], what);
                }
            }
        }
    }

    @Test
    void aFailingWorkerDoesNotStrandItsTeamAtTheBarrier() {
        int before = Parallel.threads();
        try {
            Parallel.setThreads(2);
            Gemm.PanelSource failing = new Gemm.PanelSource() {
                public int n() { return 128; }
                public int k() { return 600; }
                public void packPanel(int n0, int k0, int kc, float[] dst, int dstOff) {
                    if (n0 >= 64 && k0 > 0) throw new dev.jllm.core.JllmException("bad block at column " + n0);
                    java.util.Arrays.fill(dst, dstOff, dstOff + kc * Gemm.NR, 1f);
                }
            };
            float[] a = new float[64 * 600], c = new float[64 * 128];
            var e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20), () ->
                    org.junit.jupiter.api.Assertions.assertThrows(dev.jllm.core.JllmException.class, () -> Gemm.sgemm(64, a, failing, c)));
            assertTrue(e.getMessage().contains("bad block"), e.getMessage());
            // the pool is still usable afterwards
            Gemm.sgemm(64, a, new Gemm.PanelSource() {
                public int n() { return 128; }
                public int k() { return 600; }
                public void packPanel(int n0, int k0, int kc, float[] dst, int dstOff) {
                    java.util.Arrays.fill(dst, dstOff, dstOff + kc * Gemm.NR, 0f);
                }
            }, c);
        } finally {
            Parallel.setThreads(before);
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
