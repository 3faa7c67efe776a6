package dev.jllm.core.kernel;

import dev.jllm.core.JllmException;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Single-precision matrix multiply {@code C[m,n] = A[m,k] · B[n,k]ᵀ}, with B in {@code nn.Linear} layout
 * (one row per output feature). Goto-style blocking: B is packed into {@link #NR}-wide panels of {@link #KC}
 * depth (at most {@link #NC} columns at a time, about the L2 size), A is copied block by block into contiguous
 * rows, and a 6×NR register tile of 24 vector accumulators does the arithmetic. The threads split N, so each owns its packed panels and its
 * columns of C and never waits on another inside the loops.
 *
 * <p>Blocking defaults (KC = 128: a 128×64 B panel is 32 KB and stays in a 48 KB L1; MC = 96) were the fastest
 * measured on the development machine; {@code -Djllm.gemm.kc=N} and {@code -Djllm.gemm.mc=N} override them for
 * other caches. With quantized weights the depth block is rounded up to whole quantization blocks (256 for K-quants).
 */
public final class Gemm {
    static final VectorSpecies<Float> S = Simd.F;
    static final int L = S.length();
    /** Register tile: MR rows of A × NR columns of B. */
    public static final int MR = 6;
    public static final int NR = 4 * L;
    public static final int KC = blockingParameter("jllm.gemm.kc", 128, 32);
    public static final int MC = blockingParameter("jllm.gemm.mc", 96, MR);
    public static final int NC = Math.max(NR, 768 / NR * NR);

    private Gemm() {}

    private static int blockingParameter(String property, int dflt, int multiple) {
        int v = Integer.getInteger(property, dflt);
        if (v <= 0 || v % multiple != 0) {
            throw new IllegalArgumentException("-D" + property + " must be a positive multiple of " + multiple + ", got " + v);
        }
        return v;
    }

    /**
     * Supplies B, row {@code j} of which is column {@code j} of C, as packed panels. Implementations dequantize
     * or copy; {@link #packPanel} must write zeros for rows at or past {@link #n()}.
     */
    public interface PanelSource {
        int n();

        int k();

        /** Writes {@code dst[dstOff + kk*NR + j] = B[n0 + j][k0 + kk]} for kk &lt; kc, j &lt; NR. */
        void packPanel(int n0, int k0, int kc, float[] dst, int dstOff);

        /** k-block boundaries must be multiples of this (a quantization block size). */
        default int kGranule() {
            return 1;
        }
    }

    /** B packed once (e.g. at model load) into NR-wide panels spanning the whole depth. */
    public static final class PackedB {
        final float[] data;
        final int n, k;

        PackedB(float[] data, int n, int k) {
            this.data = data;
            this.n = n;
            this.k = k;
        }

        public int n() {
            return n;
        }

        public int k() {
            return k;
        }
    }

    /** C = A·Bᵀ with A [m,k], B [n,k], C [m,n], all row-major and dense. */
    public static void sgemm(int m, int n, int k, float[] a, float[] b, float[] c) {
        sgemm(m, n, k, a, 0, b, 0, c, 0);
    }

    public static void sgemm(int m, int n, int k, float[] a, int aOff, float[] b, int bOff, float[] c, int cOff) {
        checkShape(m, n, k, a, aOff, c, cOff);
        if ((long) n * k + bOff > b.length) throw new JllmException("sgemm: B needs " + ((long) n * k) + " floats from " + bOff + ", has " + b.length);
        drive(m, n, k, a, aOff, false, c, cOff, false, new DensePanels(b, bOff, n, k), null);
    }

    /** Packs B [n,k] (nn.Linear layout) into panels once, for repeated multiplications. */
    public static PackedB pack(float[] b, int bOff, int n, int k) {
        int panels = (n + NR - 1) / NR;
        float[] data = new float[Math.multiplyExact(panels * NR, k)];
        DensePanels src = new DensePanels(b, bOff, n, k);
        Parallel.forRange(panels, 1, (w, p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                for (int pc = 0; pc < k; pc += KC) {
                    int kc = Math.min(KC, k - pc);
                    src.packPanel(p * NR, pc, kc, data, p * NR * k + pc * NR);
                }
            }
        });
        return new PackedB(data, n, k);
    }

    public static PackedB pack(float[] b, int n, int k) {
        return pack(b, 0, n, k);
    }

    /** Packs any panel source (e.g. a quantized weight matrix) once. */
    public static PackedB pack(PanelSource src) {
        int n = src.n(), k = src.k();
        int panels = (n + NR - 1) / NR;
        float[] data = new float[Math.multiplyExact(panels * NR, k)];
        int granule = src.kGranule();
        int step = (KC + granule - 1) / granule * granule;
        Parallel.forRange(panels, 1, (w, p0, p1) -> {
            for (int p = p0; p < p1; p++) {
                for (int pc = 0; pc < k; pc += step) {
                    int kc = Math.min(step, k - pc);
                    src.packPanel(p * NR, pc, kc, data, p * NR * k + pc * NR);
                }
            }
        });
        return new PackedB(data, n, k);
    }

    /** C = A·Bᵀ with B pre-packed. */
    public static void sgemm(int m, float[] a, int aOff, PackedB b, float[] c, int cOff) {
        checkShape(m, b.n, b.k, a, aOff, c, cOff);
        drive(m, b.n, b.k, a, aOff, false, c, cOff, false, null, b);
    }

    public static void sgemm(int m, float[] a, PackedB b, float[] c) {
        sgemm(m, a, 0, b, c, 0);
    }

    /** C = A·Bᵀ with B supplied panel by panel (dequantized on the fly for quantized weights). */
    public static void sgemm(int m, float[] a, int aOff, PanelSource b, float[] c, int cOff) {
        checkShape(m, b.n(), b.k(), a, aOff, c, cOff);
        drive(m, b.n(), b.k(), a, aOff, false, c, cOff, false, b, null);
    }

    public static void sgemm(int m, float[] a, PanelSource b, float[] c) {
        sgemm(m, a, 0, b, c, 0);
    }

    /**
     * The general product {@code C[m,n] = op(A)·op(B)}, or {@code C += op(A)·op(B)} when {@code accumulate}, BLAS
     * style: op(A) is {@code [m,k]}, stored row-major as {@code [m,k]}, or as {@code [k,m]} when {@code transA};
     * op(B) is {@code [k,n]}, stored as {@code [k,n]}, or as {@code [n,k]} ({@code nn.Linear} layout) when
     * {@code transB}. Backpropagation needs all of them: a linear layer's forward is {@code X·Wᵀ} (transB), its
     * input gradient {@code dY·W} and its weight gradient {@code dYᵀ·X} (transA). No operand is ever transposed in
     * memory: the transposes happen while A's block is copied and B's panels are packed, which both do anyway.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, float[] b, int bOff,
                            float[] c, int cOff, boolean accumulate) {
        checkShape(m, n, k, a, aOff, c, cOff);
        if ((long) n * k + bOff > b.length) throw new JllmException("sgemm: B needs " + ((long) n * k) + " floats from " + bOff + ", has " + b.length);
        PanelSource panels = transB ? new DensePanels(b, bOff, n, k) : new DenseRowsOfK(b, bOff, n, k);
        drive(m, n, k, a, aOff, transA, c, cOff, accumulate, panels, null);
    }

    /** {@code C (+)= op(A)·Bᵀ} with B supplied panel by panel (a frozen, quantized weight), A optionally transposed. */
    public static void gemm(boolean transA, int m, float[] a, int aOff, PanelSource b, float[] c, int cOff, boolean accumulate) {
        checkShape(m, b.n(), b.k(), a, aOff, c, cOff);
        drive(m, b.n(), b.k(), a, aOff, transA, c, cOff, accumulate, b, null);
    }

    /** A stored {@code [k,m]}: rows {@code [ic, ic+mc)} of op(A), depth {@code [pc, pc+kc)}, into contiguous rows of kc. */
    private static void copyTransposedBlock(float[] a, int aOff, int m, int ic, int mc, int pc, int kc, float[] block) {
        for (int kk = 0; kk < kc; kk++) {
            int src = aOff + (pc + kk) * m + ic;
            for (int r = 0; r < mc; r++) block[r * kc + kk] = a[src + r];
        }
    }

    private static void checkShape(int m, int n, int k, float[] a, int aOff, float[] c, int cOff) {
        if (m < 0 || n < 0 || k < 0) throw new JllmException("sgemm: negative shape m=" + m + " n=" + n + " k=" + k);
        if ((long) m * k + aOff > a.length) throw new JllmException("sgemm: A needs " + ((long) m * k) + " floats from " + aOff + ", has " + a.length);
        if ((long) m * n + cOff > c.length) throw new JllmException("sgemm: C needs " + ((long) m * n) + " floats from " + cOff + ", has " + c.length);
    }

    private static final ThreadLocal<float[]> PACK_BUFFER = new ThreadLocal<>();
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[L * L]);
    private static final ThreadLocal<float[]> A_BLOCK = new ThreadLocal<>();
    private static final ThreadLocal<float[]> EDGE_TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    private static void drive(int m, int n, int k, float[] a, int aOff, boolean transA, float[] c, int cOff,
                              boolean accumulate, PanelSource src, PackedB packed) {
        if (m == 0 || n == 0) return;
        if (k == 0) {
            if (accumulate) return;
            for (int i = 0; i < m; i++) java.util.Arrays.fill(c, cOff + i * n, cOff + i * n + n, 0f);
            return;
        }
        int panels = (n + NR - 1) / NR;
        boolean vector = Simd.enabled();
        int granule = src == null ? 1 : src.kGranule();
        int kcStep = (KC + granule - 1) / granule * granule;
        Parallel.forRange(panels, 1, (w, p0, p1) ->
                driveColumns(m, n, k, kcStep, a, aOff, transA, c, cOff, accumulate, src, packed, p0 * NR, Math.min(n, p1 * NR), vector));
    }

    private static void driveColumns(int m, int n, int k, int kcStep, float[] a, int aOff, boolean transA, float[] c,
                                     int cOff, boolean accumulateInto, PanelSource src, PackedB packed, int n0, int n1,
                                     boolean vector) {
        float[] buf = null;
        if (packed == null) {
            buf = PACK_BUFFER.get();
            if (buf == null || buf.length < kcStep * NC) PACK_BUFFER.set(buf = new float[kcStep * NC]);
        }
        float[] edge = EDGE_TILE.get();
        float[] aBlock = A_BLOCK.get();
        if (aBlock == null || aBlock.length < MC * kcStep) A_BLOCK.set(aBlock = new float[MC * kcStep]);
        for (int jc = n0; jc < n1; jc += NC) {
            int nc = Math.min(NC, n1 - jc);
            int np = (nc + NR - 1) / NR;
            for (int pc = 0; pc < k; pc += kcStep) {
                int kc = Math.min(kcStep, k - pc);
                float[] bp;
                int bBase, bStride;
                if (packed != null) {
                    bp = packed.data;
                    bBase = (jc / NR) * NR * k + pc * NR;
                    bStride = NR * k;
                } else {
                    bp = buf;
                    bBase = 0;
                    bStride = kc * NR;
                    for (int q = 0; q < np; q++) src.packPanel(jc + q * NR, pc, kc, buf, q * kc * NR);
                }
                boolean accumulate = accumulateInto || pc > 0;
                for (int ic = 0; ic < m; ic += MC) {
                    int mc = Math.min(MC, m - ic);
                    // Copy the A block to contiguous rows of length kc: read in place, rows K floats apart alias the
                    // same L1 sets (K = 2048 or 4096 puts all six rows of a tile in one set) and evict the B panel.
                    if (transA) copyTransposedBlock(a, aOff, m, ic, mc, pc, kc, aBlock);
                    else for (int r = 0; r < mc; r++) System.arraycopy(a, aOff + (ic + r) * k + pc, aBlock, r * kc, kc);
                    for (int q = 0; q < np; q++) {
                        int col = jc + q * NR;
                        int ncol = Math.min(NR, n1 - col);
                        int bOff = bBase + q * bStride;
                        for (int ir = ic; ir < ic + mc; ir += MR) {
                            int mr = Math.min(MR, ic + mc - ir);
                            int aRow = (ir - ic) * kc;
                            int cPos = cOff + ir * n + col;
                            if (ncol == NR) {
                                tile(vector, mr, aBlock, aRow, kc, bp, bOff, kc, c, cPos, n, accumulate);
                            } else {
                                // Partial panel: compute the full-width tile into a scratch tile, copy the valid columns.
                                for (int r = 0; r < mr; r++) {
                                    if (accumulate) System.arraycopy(c, cPos + r * n, edge, r * NR, ncol);
                                }
                                tile(vector, mr, aBlock, aRow, kc, bp, bOff, kc, edge, 0, NR, accumulate);
                                for (int r = 0; r < mr; r++) System.arraycopy(edge, r * NR, c, cPos + r * n, ncol);
                            }
                        }
                    }
                }
            }
        }
    }

    private static void tile(boolean vector, int mr, float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                             float[] c, int cOff, int ldc, boolean acc) {
        if (!vector) {
            tileScalar(mr, a, aOff, lda, b, bOff, kc, c, cOff, ldc, acc);
        } else if (mr == MR) {
            tile6(a, aOff, lda, b, bOff, kc, c, cOff, ldc, acc);
        } else {
            int r = 0;
            for (; r + 2 <= mr; r += 2) tile2(a, aOff + r * lda, lda, b, bOff, kc, c, cOff + r * ldc, ldc, acc);
            if (r < mr) tile1(a, aOff + r * lda, b, bOff, kc, c, cOff + r * ldc, acc);
        }
    }

    static void tileScalar(int mr, float[] a, int aOff, int lda, float[] b, int bOff, int kc, float[] c, int cOff,
                           int ldc, boolean acc) {
        float[] sums = new float[NR];
        for (int r = 0; r < mr; r++) {
            int ar = aOff + r * lda;
            int cr = cOff + r * ldc;
            for (int j = 0; j < NR; j++) sums[j] = acc ? c[cr + j] : 0f;
            for (int kk = 0; kk < kc; kk++) {
                float av = a[ar + kk];
                int bo = bOff + kk * NR;
                for (int j = 0; j < NR; j++) sums[j] += av * b[bo + j];
            }
            System.arraycopy(sums, 0, c, cr, NR);
        }
    }

    private static FloatVector init(float[] c, int off, boolean acc) {
        return acc ? FloatVector.fromArray(S, c, off) : FloatVector.zero(S);
    }

    static void tile6(float[] a, int aOff, int lda, float[] b, int bOff, int kc, float[] c, int cOff, int ldc, boolean acc) {
        int c0 = cOff, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc, c5 = c4 + ldc;
        FloatVector v00 = init(c, c0, acc), v01 = init(c, c0 + L, acc), v02 = init(c, c0 + 2 * L, acc), v03 = init(c, c0 + 3 * L, acc);
        FloatVector v10 = init(c, c1, acc), v11 = init(c, c1 + L, acc), v12 = init(c, c1 + 2 * L, acc), v13 = init(c, c1 + 3 * L, acc);
        FloatVector v20 = init(c, c2, acc), v21 = init(c, c2 + L, acc), v22 = init(c, c2 + 2 * L, acc), v23 = init(c, c2 + 3 * L, acc);
        FloatVector v30 = init(c, c3, acc), v31 = init(c, c3 + L, acc), v32 = init(c, c3 + 2 * L, acc), v33 = init(c, c3 + 3 * L, acc);
        FloatVector v40 = init(c, c4, acc), v41 = init(c, c4 + L, acc), v42 = init(c, c4 + 2 * L, acc), v43 = init(c, c4 + 3 * L, acc);
        FloatVector v50 = init(c, c5, acc), v51 = init(c, c5 + L, acc), v52 = init(c, c5 + 2 * L, acc), v53 = init(c, c5 + 3 * L, acc);
        int a0 = aOff, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bo + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
            v00 = b0.fma(x, v00); v01 = b1.fma(x, v01); v02 = b2.fma(x, v02); v03 = b3.fma(x, v03);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            v10 = b0.fma(x, v10); v11 = b1.fma(x, v11); v12 = b2.fma(x, v12); v13 = b3.fma(x, v13);
            x = FloatVector.broadcast(S, a[a2 + kk]);
            v20 = b0.fma(x, v20); v21 = b1.fma(x, v21); v22 = b2.fma(x, v22); v23 = b3.fma(x, v23);
            x = FloatVector.broadcast(S, a[a3 + kk]);
            v30 = b0.fma(x, v30); v31 = b1.fma(x, v31); v32 = b2.fma(x, v32); v33 = b3.fma(x, v33);
            x = FloatVector.broadcast(S, a[a4 + kk]);
            v40 = b0.fma(x, v40); v41 = b1.fma(x, v41); v42 = b2.fma(x, v42); v43 = b3.fma(x, v43);
            x = FloatVector.broadcast(S, a[a5 + kk]);
            v50 = b0.fma(x, v50); v51 = b1.fma(x, v51); v52 = b2.fma(x, v52); v53 = b3.fma(x, v53);
        }
        v00.intoArray(c, c0); v01.intoArray(c, c0 + L); v02.intoArray(c, c0 + 2 * L); v03.intoArray(c, c0 + 3 * L);
        v10.intoArray(c, c1); v11.intoArray(c, c1 + L); v12.intoArray(c, c1 + 2 * L); v13.intoArray(c, c1 + 3 * L);
        v20.intoArray(c, c2); v21.intoArray(c, c2 + L); v22.intoArray(c, c2 + 2 * L); v23.intoArray(c, c2 + 3 * L);
        v30.intoArray(c, c3); v31.intoArray(c, c3 + L); v32.intoArray(c, c3 + 2 * L); v33.intoArray(c, c3 + 3 * L);
        v40.intoArray(c, c4); v41.intoArray(c, c4 + L); v42.intoArray(c, c4 + 2 * L); v43.intoArray(c, c4 + 3 * L);
        v50.intoArray(c, c5); v51.intoArray(c, c5 + L); v52.intoArray(c, c5 + 2 * L); v53.intoArray(c, c5 + 3 * L);
    }

    static void tile2(float[] a, int aOff, int lda, float[] b, int bOff, int kc, float[] c, int cOff, int ldc, boolean acc) {
        int c0 = cOff, c1 = c0 + ldc;
        FloatVector v00 = init(c, c0, acc), v01 = init(c, c0 + L, acc), v02 = init(c, c0 + 2 * L, acc), v03 = init(c, c0 + 3 * L, acc);
        FloatVector v10 = init(c, c1, acc), v11 = init(c, c1 + L, acc), v12 = init(c, c1 + 2 * L, acc), v13 = init(c, c1 + 3 * L, acc);
        int a0 = aOff, a1 = a0 + lda;
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bo + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[a0 + kk]);
            v00 = b0.fma(x, v00); v01 = b1.fma(x, v01); v02 = b2.fma(x, v02); v03 = b3.fma(x, v03);
            x = FloatVector.broadcast(S, a[a1 + kk]);
            v10 = b0.fma(x, v10); v11 = b1.fma(x, v11); v12 = b2.fma(x, v12); v13 = b3.fma(x, v13);
        }
        v00.intoArray(c, c0); v01.intoArray(c, c0 + L); v02.intoArray(c, c0 + 2 * L); v03.intoArray(c, c0 + 3 * L);
        v10.intoArray(c, c1); v11.intoArray(c, c1 + L); v12.intoArray(c, c1 + 2 * L); v13.intoArray(c, c1 + 3 * L);
    }

    static void tile1(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, boolean acc) {
        FloatVector v0 = init(c, cOff, acc), v1 = init(c, cOff + L, acc), v2 = init(c, cOff + 2 * L, acc), v3 = init(c, cOff + 3 * L, acc);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR;
            FloatVector x = FloatVector.broadcast(S, a[aOff + kk]);
            v0 = FloatVector.fromArray(S, b, bo).fma(x, v0);
            v1 = FloatVector.fromArray(S, b, bo + L).fma(x, v1);
            v2 = FloatVector.fromArray(S, b, bo + 2 * L).fma(x, v2);
            v3 = FloatVector.fromArray(S, b, bo + 3 * L).fma(x, v3);
        }
        v0.intoArray(c, cOff); v1.intoArray(c, cOff + L); v2.intoArray(c, cOff + 2 * L); v3.intoArray(c, cOff + 3 * L);
    }

    /**
     * Packs {@code rows} (at most NR) row segments of length kc, starting at {@code src[srcOff]} with row stride
     * {@code stride}, into one k-major panel: {@code dst[dstOff + kk*NR + j] = src[srcOff + j*stride + kk]}, zero for
     * j &gt;= rows. Full panels are transposed L×L blocks at a time in registers.
     */
    public static void packRows(float[] src, int srcOff, int stride, int rows, int kc, float[] dst, int dstOff) {
        int kk = 0;
        if (rows == NR && Simd.enabled()) {
            float[] tile = TILE.get();
            for (; kk + L <= kc; kk += L) {
                for (int q = 0; q < NR; q += L) {
                    for (int r = 0; r < L; r++) {
                        FloatVector.fromArray(S, src, srcOff + (q + r) * stride + kk).intoArray(tile, r * L);
                    }
                    Transpose.tile(tile);
                    for (int r = 0; r < L; r++) FloatVector.fromArray(S, tile, r * L).intoArray(dst, dstOff + (kk + r) * NR + q);
                }
            }
        }
        for (int j = 0; j < rows; j++) {
            int from = srcOff + j * stride;
            for (int t = kk; t < kc; t++) dst[dstOff + t * NR + j] = src[from + t];
        }
        for (int j = rows; j < NR; j++) {
            for (int t = kk; t < kc; t++) dst[dstOff + t * NR + j] = 0f;
        }
    }

    /** Dense row-major B [n,k]: the packing transposes NR rows into one k-major panel. */
    static final class DensePanels implements PanelSource {
        private final float[] b;
        private final int off, n, k;

        DensePanels(float[] b, int off, int n, int k) {
            this.b = b;
            this.off = off;
            this.n = n;
            this.k = k;
        }

        @Override
        public int n() {
            return n;
        }

        @Override
        public int k() {
            return k;
        }

        @Override
        public void packPanel(int n0, int k0, int kc, float[] dst, int dstOff) {
            packRows(b, off + n0 * k + k0, k, Math.min(NR, n - n0), kc, dst, dstOff);
        }
    }

    /** Dense row-major op(B) stored {@code [k,n]}: each k-row of a panel is one contiguous copy. */
    static final class DenseRowsOfK implements PanelSource {
        private final float[] b;
        private final int off, n, k;

        DenseRowsOfK(float[] b, int off, int n, int k) {
            this.b = b;
            this.off = off;
            this.n = n;
            this.k = k;
        }

        @Override
        public int n() {
            return n;
        }

        @Override
        public int k() {
            return k;
        }

        @Override
        public void packPanel(int n0, int k0, int kc, float[] dst, int dstOff) {
            int width = Math.min(NR, n - n0);
            for (int kk = 0; kk < kc; kk++) {
                int d = dstOff + kk * NR;
                System.arraycopy(b, off + (k0 + kk) * n + n0, dst, d, width);
                if (width < NR) java.util.Arrays.fill(dst, d + width, d + NR, 0f);
            }
        }
    }
}
