package dev.jllm.train.nn;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.stream.IntStream;

/**
 * The one matrix product the training engine needs, {@code C (+)= A · Bᵀ} with both operands row-major and
 * contiguous along the reduced dimension. The other two shapes of backpropagation ({@code A·B} and {@code Aᵀ·B})
 * are reduced to it by transposing the smaller operand, because a transpose costs O(rows·cols) while the product
 * costs O(rows·cols·k), and a single well-blocked kernel is easier to keep fast than three.
 *
 * <p>Blocking: a 4×4 tile of dot products is accumulated in 16 vector registers while both operands stream along
 * k; k is cut into {@value #KC}-wide slices and B's rows into {@value #NC}-row panels so that one panel slice stays in
 * L2 while every row of A passes over it. Rows of A are split between the cores for large products.
 */
public final class Matmul {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int KC = 256;
    private static final int NC = 128;
    /** Below this many multiply-adds a product runs on the calling thread; forking would cost more than it saves. */
    private static final long PARALLEL_THRESHOLD = 1L << 18;

    private Matmul() {}

    /** {@code C[m×n] = A[m×k] · B[n×k]ᵀ}, or {@code +=} when {@code accumulate}. */
    public static void nt(double[] c, double[] a, double[] b, int m, int n, int k, boolean accumulate) {
        if (!accumulate) java.util.Arrays.fill(c, 0, m * n, 0.0);
        if (m == 0 || n == 0 || k == 0) return;
        int threads = Runtime.getRuntime().availableProcessors();
        if (threads <= 1 || (long) m * n * k < PARALLEL_THRESHOLD || m < 8) {
            ntRows(c, a, b, 0, m, n, k);
            return;
        }
        int chunks = Math.min(threads, m / 4);
        int per = ((m + chunks - 1) / chunks + 3) & ~3;
        IntStream.range(0, chunks).parallel().forEach(t -> {
            int from = t * per;
            int to = Math.min(m, from + per);
            if (from < to) ntRows(c, a, b, from, to, n, k);
        });
    }

    /** {@code C[m×n] (+)= A[m×k] · B[k×n]}. */
    public static void nn(double[] c, double[] a, double[] b, int m, int n, int k, boolean accumulate) {
        nt(c, a, transpose(b, k, n), m, n, k, accumulate);
    }

    /** {@code C[m×n] (+)= A[k×m]ᵀ · B[k×n]}; e.g. a weight gradient {@code dW[out×in] += dYᵀ · X}. */
    public static void tn(double[] c, double[] a, double[] b, int m, int n, int k, boolean accumulate) {
        nt(c, transpose(a, k, m), transpose(b, k, n), m, n, k, accumulate);
    }

    /** The transpose of a row-major {@code rows×cols} matrix, blocked so both sides stay in cache. */
    public static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[rows * cols];
        final int blk = 32;
        for (int i0 = 0; i0 < rows; i0 += blk) {
            int i1 = Math.min(rows, i0 + blk);
            for (int j0 = 0; j0 < cols; j0 += blk) {
                int j1 = Math.min(cols, j0 + blk);
                for (int i = i0; i < i1; i++) {
                    for (int j = j0; j < j1; j++) t[j * rows + i] = x[i * cols + j];
                }
            }
        }
        return t;
    }

    private static void ntRows(double[] c, double[] a, double[] b, int rowFrom, int rowTo, int n, int k) {
        for (int j0 = 0; j0 < n; j0 += NC) {
            int j1 = Math.min(n, j0 + NC);
            for (int p0 = 0; p0 < k; p0 += KC) {
                int p1 = Math.min(k, p0 + KC);
                int i = rowFrom;
                for (; i + 4 <= rowTo; i += 4) {
                    int j = j0;
                    for (; j + 4 <= j1; j += 4) tile4x4(c, a, b, i, j, p0, p1, n, k);
                    for (; j < j1; j++) for (int ii = i; ii < i + 4; ii++) c[ii * n + j] += dot(a, ii * k, b, j * k, p0, p1);
                }
                for (; i < rowTo; i++) {
                    for (int j = j0; j < j1; j++) c[i * n + j] += dot(a, i * k, b, j * k, p0, p1);
                }
            }
        }
    }

    private static double dot(double[] a, int aOff, double[] b, int bOff, int p0, int p1) {
        int len = p1 - p0;
        int vec = S.loopBound(len);
        DoubleVector acc = DoubleVector.zero(S);
        int p = 0;
        for (; p < vec; p += S.length()) {
            acc = DoubleVector.fromArray(S, a, aOff + p0 + p).fma(DoubleVector.fromArray(S, b, bOff + p0 + p), acc);
        }
        double s = acc.reduceLanes(VectorOperators.ADD);
        for (; p < len; p++) s += a[aOff + p0 + p] * b[bOff + p0 + p];
        return s;
    }

    private static void tile4x4(double[] c, double[] a, double[] b, int i, int j, int p0, int p1, int n, int k) {
        int a0 = i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
        int b0 = j * k, b1 = b0 + k, b2 = b1 + k, b3 = b2 + k;
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        DoubleVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        DoubleVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        DoubleVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int len = p1 - p0;
        int vec = S.loopBound(len);
        int p = p0;
        for (int end = p0 + vec; p < end; p += S.length()) {
            DoubleVector y0 = DoubleVector.fromArray(S, b, b0 + p);
            DoubleVector y1 = DoubleVector.fromArray(S, b, b1 + p);
            DoubleVector y2 = DoubleVector.fromArray(S, b, b2 + p);
            DoubleVector y3 = DoubleVector.fromArray(S, b, b3 + p);
            DoubleVector x = DoubleVector.fromArray(S, a, a0 + p);
            c00 = x.fma(y0, c00); c01 = x.fma(y1, c01); c02 = x.fma(y2, c02); c03 = x.fma(y3, c03);
            x = DoubleVector.fromArray(S, a, a1 + p);
            c10 = x.fma(y0, c10); c11 = x.fma(y1, c11); c12 = x.fma(y2, c12); c13 = x.fma(y3, c13);
            x = DoubleVector.fromArray(S, a, a2 + p);
            c20 = x.fma(y0, c20); c21 = x.fma(y1, c21); c22 = x.fma(y2, c22); c23 = x.fma(y3, c23);
            x = DoubleVector.fromArray(S, a, a3 + p);
            c30 = x.fma(y0, c30); c31 = x.fma(y1, c31); c32 = x.fma(y2, c32); c33 = x.fma(y3, c33);
        }
        double[] s = {
                c00.reduceLanes(VectorOperators.ADD), c01.reduceLanes(VectorOperators.ADD), c02.reduceLanes(VectorOperators.ADD), c03.reduceLanes(VectorOperators.ADD),
                c10.reduceLanes(VectorOperators.ADD), c11.reduceLanes(VectorOperators.ADD), c12.reduceLanes(VectorOperators.ADD), c13.reduceLanes(VectorOperators.ADD),
                c20.reduceLanes(VectorOperators.ADD), c21.reduceLanes(VectorOperators.ADD), c22.reduceLanes(VectorOperators.ADD), c23.reduceLanes(VectorOperators.ADD),
                c30.reduceLanes(VectorOperators.ADD), c31.reduceLanes(VectorOperators.ADD), c32.reduceLanes(VectorOperators.ADD), c33.reduceLanes(VectorOperators.ADD)};
        for (; p < p1; p++) {
            for (int r = 0; r < 4; r++) {
                double x = a[a0 + r * k + p];
                s[r * 4] += x * b[b0 + p];
                s[r * 4 + 1] += x * b[b1 + p];
                s[r * 4 + 2] += x * b[b2 + p];
                s[r * 4 + 3] += x * b[b3 + p];
            }
        }
        for (int r = 0; r < 4; r++) {
            int row = (i + r) * n + j;
            c[row] += s[r * 4];
            c[row + 1] += s[r * 4 + 1];
            c[row + 2] += s[r * 4 + 2];
            c[row + 3] += s[r * 4 + 3];
        }
    }
}
