package dev.jllm.train.nn;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.stream.IntStream;

/**
 * The matrix products of backpropagation in float64: {@code A·Bᵀ} (forward of a linear layer), {@code A·B}
 * (its input gradient) and {@code Aᵀ·B} (its weight gradient), all row-major.
 *
 * <p>One blocked kernel serves all three (Goto-style): B is packed, {@value #KC} deep, into panels of
 * {@link #NR} columns laid out k-major, so the micro-kernel streams them with unit stride whatever B's original
 * layout; A is read in place, one scalar of each of {@value #MR} rows broadcast per k; a {@value #MR}×{@link #NR}
 * tile of C lives in 24 vector registers and is added to C once per k-block, so there is no horizontal reduction
 * in the inner loop. Packing B from either layout is a gather of O(n·k), negligible next to the O(m·n·k) product,
 * and A is read through a row stride and a k stride, so no layout ever needs an explicit transpose. Rows of C are
 * split between the cores for large products; each worker packs the panels it uses.
 */
public final class Matmul {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Register tile: MR rows × NR columns (four vectors). */
    private static final int MR = 6;
    private static final int NR = 4 * L;
    private static final int KC = 256;
    /** Columns packed at a time: KC × NC doubles stay within L2. */
    private static final int NC = Math.max(NR, (384 / NR) * NR);
    /** Below this many multiply-adds a product runs on the calling thread; forking would cost more than it saves. */
    private static final long PARALLEL_THRESHOLD = 1L << 20;

    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final int FL = FS.length();
    private static final int FNR = 4 * FL;
    private static final int FNC = Math.max(FNR, (768 / FNR) * FNR);

    /**
     * How products are computed. {@code FLOAT64} throughout (the default: exact enough for finite-difference
     * gradient checks and matching a float64 reference). {@code FLOAT32} multiplies and adds in float32 within each
     * {@value #KC}-deep block and sums the blocks in float64: the same rounding scale as PyTorch's float32 training
     * at twice the arithmetic width of float64. Operands are narrowed while B is packed and as A is read, so the
     * arrays stay float64.
     */
    public enum Precision { FLOAT64, FLOAT32 }

    private static volatile Precision precision = Precision.FLOAT64;

    private Matmul() {}

    /** Sets the precision of every later product (process-wide; training sets it once before it starts). */
    public static void setPrecision(Precision p) {
        precision = java.util.Objects.requireNonNull(p);
    }

    public static Precision precision() {
        return precision;
    }

    /** {@code C[m×n] = A[m×k] · B[n×k]ᵀ}, or {@code +=} when {@code accumulate}. */
    public static void nt(double[] c, double[] a, double[] b, int m, int n, int k, boolean accumulate) {
        run(c, a, false, b, false, m, n, k, accumulate);
    }

    /** {@code C[m×n] (+)= A[m×k] · B[k×n]}. */
    public static void nn(double[] c, double[] a, double[] b, int m, int n, int k, boolean accumulate) {
        run(c, a, false, b, true, m, n, k, accumulate);
    }

    /** {@code C[m×n] (+)= A[k×m]ᵀ · B[k×n]}; e.g. a weight gradient {@code dW[out×in] += dYᵀ · X}. */
    public static void tn(double[] c, double[] a, double[] b, int m, int n, int k, boolean accumulate) {
        run(c, a, true, b, true, m, n, k, accumulate);
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

    /** @param bKn B is stored {@code [k×n]} (else {@code [n×k]}) */
    /**
     * @param aKm A is stored {@code [k×m]} (read transposed in place), else {@code [m×k]}
     * @param bKn B is stored {@code [k×n]}, else {@code [n×k]}
     */
    private static void run(double[] c, double[] a, boolean aKm, double[] b, boolean bKn, int m, int n, int k, boolean accumulate) {
        if (!accumulate) java.util.Arrays.fill(c, 0, m * n, 0.0);
        if (m == 0 || n == 0 || k == 0) return;
        int threads = Runtime.getRuntime().availableProcessors();
        boolean f32 = precision == Precision.FLOAT32;
        if (threads <= 1 || (long) m * n * k < PARALLEL_THRESHOLD || m < 2 * MR) {
            if (f32) rowsF32(c, a, aKm, m, b, bKn, 0, m, n, k);
            else rows(c, a, aKm, m, b, bKn, 0, m, n, k);
            return;
        }
        int chunks = Math.min(threads, m / MR);
        int per = ((m + chunks - 1) / chunks + MR - 1) / MR * MR;
        IntStream.range(0, chunks).parallel().forEach(t -> {
            int from = t * per;
            int to = Math.min(m, from + per);
            if (from >= to) return;
            if (f32) rowsF32(c, a, aKm, m, b, bKn, from, to, n, k);
            else rows(c, a, aKm, m, b, bKn, from, to, n, k);
        });
    }

    // ------------------------------------------------------------------------------------------- float32 path

    private static void rowsF32(double[] c, double[] a, boolean aKm, int m, double[] b, boolean bKn, int rowFrom, int rowTo, int n, int k) {
        int rs = aKm ? 1 : k, ks = aKm ? m : 1;
        float[] packed = new float[Math.min(KC, k) * Math.min(FNC, (n + FNR - 1) / FNR * FNR)];
        float[] tile = new float[MR * FNR];
        for (int j0 = 0; j0 < n; j0 += FNC) {
            int nc = Math.min(FNC, n - j0);
            int panels = (nc + FNR - 1) / FNR;
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                packF32(b, bKn, n, k, j0, nc, p0, kc, packed);
                for (int i = rowFrom; i < rowTo; i += MR) {
                    int mr = Math.min(MR, rowTo - i);
                    for (int pnl = 0; pnl < panels; pnl++) {
                        int col = j0 + pnl * FNR;
                        int nr = Math.min(FNR, n - col);
                        if (mr == MR) kernelF32(a, i * rs + p0 * ks, rs, ks, kc, packed, pnl * kc * FNR, tile);
                        else edgeKernelF32(a, i * rs + p0 * ks, rs, ks, mr, kc, packed, pnl * kc * FNR, tile);
                        // The block's float32 sums join C in float64.
                        for (int r = 0; r < mr; r++) {
                            int co = (i + r) * n + col;
                            int j = 0;
                            if (FL == 2 * L) {
                                for (; j + FL <= nr; j += FL) {
                                    FloatVector f = FloatVector.fromArray(FS, tile, r * FNR + j);
                                    DoubleVector lo = (DoubleVector) f.convertShape(VectorOperators.F2D, S, 0);
                                    DoubleVector hi = (DoubleVector) f.convertShape(VectorOperators.F2D, S, 1);
                                    DoubleVector.fromArray(S, c, co + j).add(lo).intoArray(c, co + j);
                                    DoubleVector.fromArray(S, c, co + j + L).add(hi).intoArray(c, co + j + L);
                                }
                            }
                            for (; j < nr; j++) c[co + j] += tile[r * FNR + j];
                        }
                    }
                }
            }
        }
    }

    private static void packF32(double[] b, boolean bKn, int n, int k, int j0, int nc, int p0, int kc, float[] packed) {
        int panels = (nc + FNR - 1) / FNR;
        for (int pnl = 0; pnl < panels; pnl++) {
            int base = pnl * kc * FNR;
            int col0 = j0 + pnl * FNR;
            int width = Math.min(FNR, n - col0);
            for (int kk = 0; kk < kc; kk++) {
                int dst = base + kk * FNR;
                if (bKn) {
                    int src = (p0 + kk) * n + col0;
                    for (int jj = 0; jj < width; jj++) packed[dst + jj] = (float) b[src + jj];
                } else {
                    int src = col0 * k + p0 + kk;
                    for (int jj = 0; jj < width; jj++) packed[dst + jj] = (float) b[src + jj * k];
                }
                for (int jj = width; jj < FNR; jj++) packed[dst + jj] = 0f;
            }
        }
    }

    private static void kernelF32(double[] a, int aOff, int rs, int ks, int kc, float[] bp, int bOff, float[] tile) {
        FloatVector c00 = FloatVector.zero(FS), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        FloatVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
        FloatVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        int a0 = aOff, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs, a4 = a3 + rs, a5 = a4 + rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * FNR;
            FloatVector b0 = FloatVector.fromArray(FS, bp, bo);
            FloatVector b1 = FloatVector.fromArray(FS, bp, bo + FL);
            FloatVector b2 = FloatVector.fromArray(FS, bp, bo + 2 * FL);
            FloatVector b3 = FloatVector.fromArray(FS, bp, bo + 3 * FL);
            FloatVector x = FloatVector.broadcast(FS, (float) a[a0 + kk * ks]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(FS, (float) a[a1 + kk * ks]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(FS, (float) a[a2 + kk * ks]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(FS, (float) a[a3 + kk * ks]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(FS, (float) a[a4 + kk * ks]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(FS, (float) a[a5 + kk * ks]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        // Stored inline, not through a helper, for the same boxing reason as the float64 kernel.
        c00.intoArray(tile, 0); c01.intoArray(tile, FL); c02.intoArray(tile, 2 * FL); c03.intoArray(tile, 3 * FL);
        c10.intoArray(tile, FNR); c11.intoArray(tile, FNR + FL); c12.intoArray(tile, FNR + 2 * FL); c13.intoArray(tile, FNR + 3 * FL);
        c20.intoArray(tile, 2 * FNR); c21.intoArray(tile, 2 * FNR + FL); c22.intoArray(tile, 2 * FNR + 2 * FL); c23.intoArray(tile, 2 * FNR + 3 * FL);
        c30.intoArray(tile, 3 * FNR); c31.intoArray(tile, 3 * FNR + FL); c32.intoArray(tile, 3 * FNR + 2 * FL); c33.intoArray(tile, 3 * FNR + 3 * FL);
        c40.intoArray(tile, 4 * FNR); c41.intoArray(tile, 4 * FNR + FL); c42.intoArray(tile, 4 * FNR + 2 * FL); c43.intoArray(tile, 4 * FNR + 3 * FL);
        c50.intoArray(tile, 5 * FNR); c51.intoArray(tile, 5 * FNR + FL); c52.intoArray(tile, 5 * FNR + 2 * FL); c53.intoArray(tile, 5 * FNR + 3 * FL);
    }

    private static void edgeKernelF32(double[] a, int aOff, int rs, int ks, int mr, int kc, float[] bp, int bOff, float[] tile) {
        for (int r = 0; r < mr; r++) {
            int ar = aOff + r * rs;
            for (int v = 0; v < 4; v++) {
                FloatVector acc = FloatVector.zero(FS);
                for (int kk = 0; kk < kc; kk++) {
                    acc = FloatVector.broadcast(FS, (float) a[ar + kk * ks]).fma(FloatVector.fromArray(FS, bp, bOff + kk * FNR + v * FL), acc);
                }
                acc.intoArray(tile, r * FNR + v * FL);
            }
        }
    }

    private static void rows(double[] c, double[] a, boolean aKm, int m, double[] b, boolean bKn, int rowFrom, int rowTo, int n, int k) {
        int rs = aKm ? 1 : k, ks = aKm ? m : 1;
        double[] packed = new double[Math.min(KC, k) * Math.min(NC, (n + NR - 1) / NR * NR)];
        double[] edge = new double[MR * NR];
        for (int j0 = 0; j0 < n; j0 += NC) {
            int nc = Math.min(NC, n - j0);
            int panels = (nc + NR - 1) / NR;
            for (int p0 = 0; p0 < k; p0 += KC) {
                int kc = Math.min(KC, k - p0);
                pack(b, bKn, n, k, j0, nc, p0, kc, packed);
                for (int i = rowFrom; i < rowTo; i += MR) {
                    int mr = Math.min(MR, rowTo - i);
                    for (int pnl = 0; pnl < panels; pnl++) {
                        int col = j0 + pnl * NR;
                        int nr = Math.min(NR, n - col);
                        if (mr == MR && nr == NR) {
                            kernel(a, i * rs + p0 * ks, rs, ks, kc, packed, pnl * kc * NR, c, i * n + col, n);
                        } else {
                            java.util.Arrays.fill(edge, 0.0);
                            edgeKernel(a, i * rs + p0 * ks, rs, ks, mr, kc, packed, pnl * kc * NR, edge);
                            for (int r = 0; r < mr; r++) {
                                for (int j = 0; j < nr; j++) c[(i + r) * n + col + j] += edge[r * NR + j];
                            }
                        }
                    }
                }
            }
        }
    }

    /** {@code packed[panel][kk][jj] = B[j0 + panel·NR + jj][p0 + kk]}, zero past column n. */
    private static void pack(double[] b, boolean bKn, int n, int k, int j0, int nc, int p0, int kc, double[] packed) {
        int panels = (nc + NR - 1) / NR;
        for (int pnl = 0; pnl < panels; pnl++) {
            int base = pnl * kc * NR;
            int col0 = j0 + pnl * NR;
            int width = Math.min(NR, n - col0);
            if (bKn) {
                for (int kk = 0; kk < kc; kk++) {
                    int src = (p0 + kk) * n + col0;
                    int dst = base + kk * NR;
                    System.arraycopy(b, src, packed, dst, width);
                    if (width < NR) java.util.Arrays.fill(packed, dst + width, dst + NR, 0.0);
                }
            } else {
                // k outer, columns inner: writes stay sequential and the NR source rows are read as parallel streams.
                int src = col0 * k + p0;
                for (int kk = 0; kk < kc; kk++) {
                    int dst = base + kk * NR;
                    for (int jj = 0; jj < width; jj++) packed[dst + jj] = b[src + jj * k + kk];
                    for (int jj = width; jj < NR; jj++) packed[dst + jj] = 0.0;
                }
            }
        }
    }

    private static void kernel(double[] a, int aOff, int rs, int ks, int kc, double[] bp, int bOff, double[] c, int cOff, int ldc) {
        DoubleVector c00 = DoubleVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        DoubleVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        DoubleVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        DoubleVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        DoubleVector c40 = c00, c41 = c00, c42 = c00, c43 = c00;
        DoubleVector c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        int a0 = aOff, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs, a4 = a3 + rs, a5 = a4 + rs;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR;
            DoubleVector b0 = DoubleVector.fromArray(S, bp, bo);
            DoubleVector b1 = DoubleVector.fromArray(S, bp, bo + L);
            DoubleVector b2 = DoubleVector.fromArray(S, bp, bo + 2 * L);
            DoubleVector b3 = DoubleVector.fromArray(S, bp, bo + 3 * L);
            DoubleVector x = DoubleVector.broadcast(S, a[a0 + kk * ks]);
            c00 = x.fma(b0, c00); c01 = x.fma(b1, c01); c02 = x.fma(b2, c02); c03 = x.fma(b3, c03);
            x = DoubleVector.broadcast(S, a[a1 + kk * ks]);
            c10 = x.fma(b0, c10); c11 = x.fma(b1, c11); c12 = x.fma(b2, c12); c13 = x.fma(b3, c13);
            x = DoubleVector.broadcast(S, a[a2 + kk * ks]);
            c20 = x.fma(b0, c20); c21 = x.fma(b1, c21); c22 = x.fma(b2, c22); c23 = x.fma(b3, c23);
            x = DoubleVector.broadcast(S, a[a3 + kk * ks]);
            c30 = x.fma(b0, c30); c31 = x.fma(b1, c31); c32 = x.fma(b2, c32); c33 = x.fma(b3, c33);
            x = DoubleVector.broadcast(S, a[a4 + kk * ks]);
            c40 = x.fma(b0, c40); c41 = x.fma(b1, c41); c42 = x.fma(b2, c42); c43 = x.fma(b3, c43);
            x = DoubleVector.broadcast(S, a[a5 + kk * ks]);
            c50 = x.fma(b0, c50); c51 = x.fma(b1, c51); c52 = x.fma(b2, c52); c53 = x.fma(b3, c53);
        }
        // Written out rather than in a helper: passing the accumulators to a call that C2 declines to inline makes
        // it box every vector in the loop above.
        int o = cOff;
        DoubleVector.fromArray(S, c, o).add(c00).intoArray(c, o);
        DoubleVector.fromArray(S, c, o + L).add(c01).intoArray(c, o + L);
        DoubleVector.fromArray(S, c, o + 2 * L).add(c02).intoArray(c, o + 2 * L);
        DoubleVector.fromArray(S, c, o + 3 * L).add(c03).intoArray(c, o + 3 * L);
        o += ldc;
        DoubleVector.fromArray(S, c, o).add(c10).intoArray(c, o);
        DoubleVector.fromArray(S, c, o + L).add(c11).intoArray(c, o + L);
        DoubleVector.fromArray(S, c, o + 2 * L).add(c12).intoArray(c, o + 2 * L);
        DoubleVector.fromArray(S, c, o + 3 * L).add(c13).intoArray(c, o + 3 * L);
        o += ldc;
        DoubleVector.fromArray(S, c, o).add(c20).intoArray(c, o);
        DoubleVector.fromArray(S, c, o + L).add(c21).intoArray(c, o + L);
        DoubleVector.fromArray(S, c, o + 2 * L).add(c22).intoArray(c, o + 2 * L);
        DoubleVector.fromArray(S, c, o + 3 * L).add(c23).intoArray(c, o + 3 * L);
        o += ldc;
        DoubleVector.fromArray(S, c, o).add(c30).intoArray(c, o);
        DoubleVector.fromArray(S, c, o + L).add(c31).intoArray(c, o + L);
        DoubleVector.fromArray(S, c, o + 2 * L).add(c32).intoArray(c, o + 2 * L);
        DoubleVector.fromArray(S, c, o + 3 * L).add(c33).intoArray(c, o + 3 * L);
        o += ldc;
        DoubleVector.fromArray(S, c, o).add(c40).intoArray(c, o);
        DoubleVector.fromArray(S, c, o + L).add(c41).intoArray(c, o + L);
        DoubleVector.fromArray(S, c, o + 2 * L).add(c42).intoArray(c, o + 2 * L);
        DoubleVector.fromArray(S, c, o + 3 * L).add(c43).intoArray(c, o + 3 * L);
        o += ldc;
        DoubleVector.fromArray(S, c, o).add(c50).intoArray(c, o);
        DoubleVector.fromArray(S, c, o + L).add(c51).intoArray(c, o + L);
        DoubleVector.fromArray(S, c, o + 2 * L).add(c52).intoArray(c, o + 2 * L);
        DoubleVector.fromArray(S, c, o + 3 * L).add(c53).intoArray(c, o + 3 * L);
    }

    /** The partial tiles at the bottom and right edges; rare enough to stay simple. */
    private static void edgeKernel(double[] a, int aOff, int rs, int ks, int mr, int kc, double[] bp, int bOff, double[] out) {
        for (int r = 0; r < mr; r++) {
            int ar = aOff + r * rs;
            for (int v = 0; v < 4; v++) {
                DoubleVector acc = DoubleVector.zero(S);
                for (int kk = 0; kk < kc; kk++) {
                    acc = DoubleVector.broadcast(S, a[ar + kk * ks]).fma(DoubleVector.fromArray(S, bp, bOff + kk * NR + v * L), acc);
                }
                acc.intoArray(out, r * NR + v * L);
            }
        }
    }
}
