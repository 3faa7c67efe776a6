package dev.jllm.core.kernel;

import dev.jllm.core.JllmException;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Single-precision matrix multiply {@code C[m,n] = A[m,k] · B[n,k]ᵀ}, with B in {@code nn.Linear} layout
 * (one row per output feature). Goto-style blocking: K is cut into equal depth blocks of at most {@link #KC}; per
 * depth block A is packed into {@link #MR}-row interleaved panels (at most {@link #MC} rows at a time, sized to stay
 * in L2), each {@link #NR}-wide panel of B is packed (or taken pre-packed) into a k-major panel that stays in L1
 * while every A panel streams past it, and a 12×NR register tile of 24 vector accumulators does the arithmetic.
 * Both packings transpose 16×16 blocks in registers. When one thread's share of C is wider than L2, the loops run
 * row-wise instead (see {@code rowwise}). The threads split N, each packing its own B panels and writing its own
 * columns of C, and share the packed A blocks: each packs a part, with one barrier per block.
 *
 * <p>Blocking defaults (KC = 256: a 256×32 B panel is 32 KB and stays in a 48 KB L1 next to the A stream;
 * MC = 768: a packed A block of 768 KB stays in a 2 MB L2) were the fastest measured on the development machine (an
 * AVX-512 Xeon); {@code -Djllm.gemm.kc=N} and {@code -Djllm.gemm.mc=N} override them for other caches. With
 * quantized weights the depth block is rounded up to whole quantization blocks (256 for K-quants).
 */
public final class Gemm {
    static final VectorSpecies<Float> S = Simd.F;
    static final int L = S.length();
    /**
     * Register tile: MR rows of A × NR columns of B. In cache on one AVX-512 core, 12 × 2 vectors over an
     * MR-interleaved A panel ran 190–208 GFLOP/s against 150–163 for the former 6 × 4 vectors over A rows read in
     * place (8 × 3 spilled; 14 × 2 collapsed to 87): one sequential A stream whose 12 broadcasts are memory operands,
     * and a B panel half as wide, so a deeper KC still fits L1. (It needs 27 vector registers: AVX-512 has 32.)
     */
    public static final int MR = 12;
    public static final int NR = 2 * L;
    public static final int KC = blockingParameter("jllm.gemm.kc", 256, 16);
    public static final int MC = blockingParameter("jllm.gemm.mc", 768, MR);
    /** The first MR lanes: the last depth step of a transposed-A panel copy. */
    private static final VectorMask<Float> PANEL_ROWS = S.indexInRange(0, Math.min(MR, L));

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

    private static void checkShape(int m, int n, int k, float[] a, int aOff, float[] c, int cOff) {
        if (m < 0 || n < 0 || k < 0) throw new JllmException("sgemm: negative shape m=" + m + " n=" + n + " k=" + k);
        if ((long) m * k + aOff > a.length) throw new JllmException("sgemm: A needs " + ((long) m * k) + " floats from " + aOff + ", has " + a.length);
        if ((long) m * n + cOff > c.length) throw new JllmException("sgemm: C needs " + ((long) m * n) + " floats from " + cOff + ", has " + c.length);
    }

    private static final ThreadLocal<float[]> B_PANEL = new ThreadLocal<>();
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[L * L]);
    private static final ThreadLocal<float[]> A_BLOCK = new ThreadLocal<>();
    private static final ThreadLocal<float[]> EDGE_TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);
    /** The two A blocks a team shares (double-buffered), kept between calls; taken by one team at a time. */
    private static final AtomicReference<float[][]> SHARED_A = new AtomicReference<>();

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
        int kcStep = depthBlock(k, src == null ? 1 : src.kGranule());
        int blockFloats = Math.min(MC, (m + MR - 1) / MR * MR) * kcStep;
        // Below about a million multiply-adds a second thread costs more to wake than it saves.
        // Inside another parallel call (attention's per-head products) the team would run inline anyway: go
        // straight to the serial loop, without contending for the shared A blocks.
        int workers = (long) m * n * k < 1 << 20 || Parallel.busy() ? 1 : Math.min(Parallel.threads(), panels);
        if (workers <= 1) {
            drivePanels(m, n, k, kcStep, a, aOff, transA, c, cOff, accumulate, src, packed, 0, panels, vector, null, 0, 1);
            return;
        }
        // The workers split the B panels (columns of C) and share each packed A block: each packs its share of the
        // A panels, and they meet at one barrier per block. Two blocks alternate, so a worker packing block s+1
        // never overwrites block s-1 while the other may still read it.
        float[][] shared = SHARED_A.getAndSet(null);
        if (shared == null || shared[0].length < blockFloats) shared = new float[][]{new float[blockFloats], new float[blockFloats]};
        float[][] blocks = shared;
        AtomicReference<Team> teamRef = new AtomicReference<>(); // made by the first worker, once the size is known
        Parallel.team(workers, (w, size) -> {
            if (size == 1) {
                drivePanels(m, n, k, kcStep, a, aOff, transA, c, cOff, accumulate, src, packed, 0, panels, vector, null, 0, 1);
                return;
            }
            Team team = teamRef.updateAndGet(t -> t != null ? t : new Team(size));
            try {
                drivePanels(m, n, k, kcStep, a, aOff, transA, c, cOff, accumulate, src, packed, (int) ((long) panels * w / size),
                        (int) ((long) panels * (w + 1) / size), vector, new TeamMember(team, blocks), w, size);
            } catch (RuntimeException | Error e) {
                team.failure = e;
                throw e;
            }
        });
        SHARED_A.set(blocks);
    }

    /**
     * The depth block: K split into equal blocks of at most about KC, each a multiple of 16 (the transpose width)
     * or of the quantization granule: K = 576 runs as 3 × 192 rather than 256 + 256 + 64, whose thin last block
     * would pay a full pass over C for a quarter of the work.
     */
    static int depthBlock(int k, int granule) {
        if (granule > 1) return (KC + granule - 1) / granule * granule;
        int blocks = Math.max(1, (k + KC - 1) / KC);
        int kc = (k + blocks - 1) / blocks;
        return (kc + 15) / 16 * 16;
    }

    /** A spinning barrier for the workers of one GEMM; a worker that fails breaks it so the others do not wait forever. */
    private static final class Team {
        final int size;
        final AtomicInteger arrived = new AtomicInteger();
        /** Set by a worker that failed: the others stop waiting and rethrow it. */
        volatile Throwable failure;

        Team(int size) {
            this.size = size;
        }

        /** Waits until every worker has arrived at barrier number {@code generation} (0, 1, 2, ...). */
        void await(int generation) {
            arrived.incrementAndGet();
            long target = (long) size * (generation + 1);
            int spins = 0;
            while (arrived.get() < target) {
                Throwable f = failure;
                if (f instanceof RuntimeException re) throw re;
                if (f instanceof Error e) throw e;
                if (++spins < 1 << 12) Thread.onSpinWait();
                else Thread.yield();
            }
        }
    }

    private record TeamMember(Team team, float[][] blocks) {}

    /**
     * Computes the columns of B panels [p0, p1) for all rows of C. Alone ({@code member == null}) it packs every A
     * block itself; in a team it packs its share of each shared A block and waits for the others before using it.
     */
    private static void drivePanels(int m, int n, int k, int kcStep, float[] a, int aOff, boolean transA, float[] c,
                                    int cOff, boolean accumulateInto, PanelSource src, PackedB packed, int p0, int p1,
                                    boolean vector, TeamMember member, int worker, int workers) {
        float[] bPanel = null;
        if (packed == null) {
            bPanel = B_PANEL.get();
            if (bPanel == null || bPanel.length < kcStep * NR) B_PANEL.set(bPanel = new float[kcStep * NR]);
        }
        float[] aBlock = null;
        if (member == null) {
            int mcMax = Math.min(MC, (m + MR - 1) / MR * MR);
            aBlock = A_BLOCK.get();
            if (aBlock == null || aBlock.length < mcMax * kcStep) A_BLOCK.set(aBlock = new float[mcMax * kcStep]);
        }
        float[] edge = EDGE_TILE.get();
        boolean rowwise = (long) m * (p1 - p0) * NR > ROWWISE_C_FLOATS;
        int step = 0;
        for (int pc = 0; pc < k; pc += kcStep) {
            int kc = Math.min(kcStep, k - pc);
            boolean accumulate = accumulateInto || pc > 0;
            for (int ic = 0; ic < m; ic += MC, step++) {
                int mc = Math.min(MC, m - ic);
                if (member == null) {
                    packBlockOfA(a, aOff, transA, m, k, ic, pc, 0, mc, mc, kc, aBlock);
                } else {
                    aBlock = member.blocks[step & 1];
                    int aPanels = (mc + MR - 1) / MR;
                    int r0 = aPanels * worker / workers * MR, r1 = Math.min(mc, aPanels * (worker + 1) / workers * MR);
                    packBlockOfA(a, aOff, transA, m, k, ic, pc, r0, r1, mc, kc, aBlock);
                    member.team.await(step);
                }
                if (p0 >= p1) continue;
                if (rowwise) {
                    rowwise(n, k, pc, kc, mc, ic, c, cOff, src, packed, p0, p1, vector, aBlock, accumulate, edge);
                    continue;
                }
                for (int p = p0; p < p1; p++) {
                    int col = p * NR;
                    int ncol = Math.min(NR, n - col);
                    float[] bp;
                    int bOff;
                    if (packed != null) {
                        bp = packed.data;
                        bOff = col * k + pc * NR;
                    } else {
                        src.packPanel(col, pc, kc, bPanel, 0);
                        bp = bPanel;
                        bOff = 0;
                    }
                    for (int ir = 0; ir < mc; ir += MR) {
                        microTile(vector, mc, ir, kc, aBlock, bp, bOff, c, cOff + (ic + ir) * n + col, n, ncol, accumulate, edge);
                    }
                }
            }
        }
    }

    /** B panels packed together for {@link #rowwise}: 16 × 32 columns × KC deep = 512 KB, in L2 next to the A block. */
    private static final int BLOCK_PANELS = 16;
    /**
     * Above this many floats of C per worker (3 MB, more than L2 holds), {@link #rowwise} order: walking down a
     * column strip of a wide C re-reads C from memory in every depth block, and each tile's first loads stall
     * (measured 4096×576 on one thread: 120 → 146 GFLOP/s); with C in L2 the column order is faster (576×576:
     * 164 vs 154), since its A stream from L2 is narrower than rowwise's B stream.
     */
    private static final long ROWWISE_C_FLOATS = 768 * 1024;
    private static final ThreadLocal<float[]> B_BLOCK = new ThreadLocal<>();

    /**
     * The loops for a wide C: BLOCK_PANELS B panels at a time stay in L2 (packed together when not pre-packed),
     * and each A panel, held in L1, sweeps across them, so consecutive tiles of C are adjacent in memory and its
     * rows stream in order.
     */
    private static void rowwise(int n, int k, int pc, int kc, int mc, int ic, float[] c, int cOff, PanelSource src,
                                PackedB packed, int p0, int p1, boolean vector, float[] aBlock, boolean accumulate, float[] edge) {
        int bpMax = BLOCK_PANELS;
        float[] bBlock = null;
        if (packed == null) {
            bBlock = B_BLOCK.get();
            if (bBlock == null || bBlock.length < bpMax * kc * NR) B_BLOCK.set(bBlock = new float[bpMax * kc * NR]);
        }
        for (int jc = p0; jc < p1; jc += bpMax) {
            int np = Math.min(bpMax, p1 - jc);
            if (packed == null) {
                for (int q = 0; q < np; q++) src.packPanel((jc + q) * NR, pc, kc, bBlock, q * kc * NR);
            }
            for (int ir = 0; ir < mc; ir += MR) {
                int cRow = cOff + (ic + ir) * n;
                for (int q = 0; q < np; q++) {
                    int col = (jc + q) * NR;
                    float[] bp = packed != null ? packed.data : bBlock;
                    int bOff = packed != null ? col * k + pc * NR : q * kc * NR;
                    microTile(vector, mc, ir, kc, aBlock, bp, bOff, c, cRow + col, n, Math.min(NR, n - col), accumulate, edge);
                }
            }
        }
    }

    private static void microTile(boolean vector, int mc, int ir, int kc, float[] aBlock, float[] bp, int bOff, float[] c,
                                  int cPos, int n, int ncol, boolean accumulate, float[] edge) {
        int mr = Math.min(MR, mc - ir);
        int aPanel = ir * kc;
        if (mr == MR && ncol == NR) {
            tile(vector, aBlock, aPanel, bp, bOff, kc, c, cPos, n, accumulate);
        } else if (mr == 8 && ncol == NR && vector) {
            tile8(aBlock, aPanel, bp, bOff, kc, c, cPos, n, accumulate);
        } else {
            // Edge tile: compute the full tile (A rows past m are zero-padded) into scratch and copy out the valid
            // part.
            if (accumulate) {
                for (int r = 0; r < mr; r++) System.arraycopy(c, cPos + r * n, edge, r * NR, ncol);
            }
            tile(vector, aBlock, aPanel, bp, bOff, kc, edge, 0, NR, accumulate);
            for (int r = 0; r < mr; r++) System.arraycopy(edge, r * NR, c, cPos + r * n, ncol);
        }
    }

    /**
     * Rows {@code [r0, r1)} of the A block at rows {@code ic}, depth {@code pc}: A stored {@code [m,k]}, or
     * {@code [k,m]} when {@code transA} (then each depth step of a panel is MR adjacent floats: a plain copy).
     */
    static void packBlockOfA(float[] a, int aOff, boolean transA, int m, int k, int ic, int pc, int r0, int r1,
                                     int readable, int kc, float[] dst) {
        if (!transA) {
            packA(a, aOff + ic * k + pc, k, r0, r1, readable, kc, dst);
            return;
        }
        int from = aOff + pc * m + ic;
        boolean vector = Simd.enabled() && L >= MR;
        for (int i0 = r0; i0 < r1; i0 += MR) {
            int rows = Math.min(MR, r1 - i0);
            int base = i0 * kc;
            if (vector && rows == MR && ic + i0 + L <= m) {
                // One vector per depth step instead of a 12-float arraycopy (whose call overhead made transposed-A
                // products 15-20% slower): lanes past MR spill into the next step's slots, which its own store
                // overwrites, and the last store is masked to MR lanes, so nothing past this panel is written.
                int t = 0;
                for (; t < kc - 1; t++) FloatVector.fromArray(S, a, from + t * m + i0).intoArray(dst, base + t * MR);
                FloatVector.fromArray(S, a, from + t * m + i0).intoArray(dst, base + t * MR, PANEL_ROWS);
                continue;
            }
            for (int t = 0; t < kc; t++) {
                int d = base + t * MR;
                System.arraycopy(a, from + t * m + i0, dst, d, rows);
                for (int r = rows; r < MR; r++) dst[d + r] = 0f;
            }
        }
    }

    /**
     * Packs rows [r0, r1) × columns [0, kc) of A (row stride lda, from aOff; r0 a multiple of MR; rows below
     * {@code readable} may be read) into MR-row panels, each k-major with the MR row values of one k adjacent: {@code dst[(i/MR)*MR*kc + kk*MR + i%MR] =
     * A[i][kk]}. Rows past r1 in its last panel are zero; nothing outside the panels of [r0, r1) is written.
     */
    static void packA(float[] a, int aOff, int lda, int r0, int r1, int readable, int kc, float[] dst) {
        boolean registerBlock = Transpose.REGISTER_BLOCK && Simd.enabled();
        for (int i0 = r0; i0 < r1; i0 += MR) {
            int rows = Math.min(MR, r1 - i0);
            int base = i0 * kc;
            int from = aOff + i0 * lda;
            int kk = 0;
            if (registerBlock && i0 + 16 <= readable) {
                // 16 rows transposed at once; lanes 12..15 of each k (the next panel's rows) land in the following
                // k's slots and are overwritten by the next store; the last store is masked to 12 lanes.
                for (; kk + 16 <= kc; kk += 16) Transpose.block16(a, from + kk, lda, dst, base + kk * MR, MR);
            }
            for (int r = 0; r < rows; r++) {
                int row = from + r * lda;
                for (int t = kk; t < kc; t++) dst[base + t * MR + r] = a[row + t];
            }
            for (int r = rows; r < MR; r++) {
                for (int t = kk; t < kc; t++) dst[base + t * MR + r] = 0f;
            }
        }
    }

    private static void tile(boolean vector, float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff,
                             int ldc, boolean acc) {
        if (vector) tile12(a, aOff, b, bOff, kc, c, cOff, ldc, acc);
        else tileScalar(a, aOff, b, bOff, kc, c, cOff, ldc, acc);
    }

    /** The scalar twin of {@link #tile12}: same packed operands, same MR×NR tile. */
    static void tileScalar(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, int ldc, boolean acc) {
        float[] sums = new float[NR];
        for (int r = 0; r < MR; r++) {
            int cr = cOff + r * ldc;
            for (int j = 0; j < NR; j++) sums[j] = acc ? c[cr + j] : 0f;
            for (int kk = 0; kk < kc; kk++) {
                float av = a[aOff + kk * MR + r];
                int bo = bOff + kk * NR;
                for (int j = 0; j < NR; j++) sums[j] += av * b[bo + j];
            }
            System.arraycopy(sums, 0, c, cr, NR);
        }
    }

    private static FloatVector init(float[] c, int off, boolean acc) {
        return acc ? FloatVector.fromArray(S, c, off) : FloatVector.zero(S);
    }

    /**
     * The register tile: 12 rows × 2 vectors = 24 accumulators, 2 B vectors and one broadcast (27 of the 32
     * AVX-512 registers). A comes from an MR-interleaved panel, so the 12 broadcasts of one k step read 48
     * consecutive bytes and the micro-kernel streams A and B each from one sequential address.
     */
    static void tile12(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, int ldc, boolean acc) {
        FloatVector v00 = init(c, cOff + 0 * ldc, acc), v01 = init(c, cOff + 0 * ldc + L, acc);
        FloatVector v10 = init(c, cOff + 1 * ldc, acc), v11 = init(c, cOff + 1 * ldc + L, acc);
        FloatVector v20 = init(c, cOff + 2 * ldc, acc), v21 = init(c, cOff + 2 * ldc + L, acc);
        FloatVector v30 = init(c, cOff + 3 * ldc, acc), v31 = init(c, cOff + 3 * ldc + L, acc);
        FloatVector v40 = init(c, cOff + 4 * ldc, acc), v41 = init(c, cOff + 4 * ldc + L, acc);
        FloatVector v50 = init(c, cOff + 5 * ldc, acc), v51 = init(c, cOff + 5 * ldc + L, acc);
        FloatVector v60 = init(c, cOff + 6 * ldc, acc), v61 = init(c, cOff + 6 * ldc + L, acc);
        FloatVector v70 = init(c, cOff + 7 * ldc, acc), v71 = init(c, cOff + 7 * ldc + L, acc);
        FloatVector v80 = init(c, cOff + 8 * ldc, acc), v81 = init(c, cOff + 8 * ldc + L, acc);
        FloatVector v90 = init(c, cOff + 9 * ldc, acc), v91 = init(c, cOff + 9 * ldc + L, acc);
        FloatVector va0 = init(c, cOff + 10 * ldc, acc), va1 = init(c, cOff + 10 * ldc + L, acc);
        FloatVector vb0 = init(c, cOff + 11 * ldc, acc), vb1 = init(c, cOff + 11 * ldc + L, acc);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR, ao = aOff + kk * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao + 0]); v00 = b0.fma(x, v00); v01 = b1.fma(x, v01);
            x = FloatVector.broadcast(S, a[ao + 1]); v10 = b0.fma(x, v10); v11 = b1.fma(x, v11);
            x = FloatVector.broadcast(S, a[ao + 2]); v20 = b0.fma(x, v20); v21 = b1.fma(x, v21);
            x = FloatVector.broadcast(S, a[ao + 3]); v30 = b0.fma(x, v30); v31 = b1.fma(x, v31);
            x = FloatVector.broadcast(S, a[ao + 4]); v40 = b0.fma(x, v40); v41 = b1.fma(x, v41);
            x = FloatVector.broadcast(S, a[ao + 5]); v50 = b0.fma(x, v50); v51 = b1.fma(x, v51);
            x = FloatVector.broadcast(S, a[ao + 6]); v60 = b0.fma(x, v60); v61 = b1.fma(x, v61);
            x = FloatVector.broadcast(S, a[ao + 7]); v70 = b0.fma(x, v70); v71 = b1.fma(x, v71);
            x = FloatVector.broadcast(S, a[ao + 8]); v80 = b0.fma(x, v80); v81 = b1.fma(x, v81);
            x = FloatVector.broadcast(S, a[ao + 9]); v90 = b0.fma(x, v90); v91 = b1.fma(x, v91);
            x = FloatVector.broadcast(S, a[ao + 10]); va0 = b0.fma(x, va0); va1 = b1.fma(x, va1);
            x = FloatVector.broadcast(S, a[ao + 11]); vb0 = b0.fma(x, vb0); vb1 = b1.fma(x, vb1);
        }
        v00.intoArray(c, cOff + 0 * ldc); v01.intoArray(c, cOff + 0 * ldc + L);
        v10.intoArray(c, cOff + 1 * ldc); v11.intoArray(c, cOff + 1 * ldc + L);
        v20.intoArray(c, cOff + 2 * ldc); v21.intoArray(c, cOff + 2 * ldc + L);
        v30.intoArray(c, cOff + 3 * ldc); v31.intoArray(c, cOff + 3 * ldc + L);
        v40.intoArray(c, cOff + 4 * ldc); v41.intoArray(c, cOff + 4 * ldc + L);
        v50.intoArray(c, cOff + 5 * ldc); v51.intoArray(c, cOff + 5 * ldc + L);
        v60.intoArray(c, cOff + 6 * ldc); v61.intoArray(c, cOff + 6 * ldc + L);
        v70.intoArray(c, cOff + 7 * ldc); v71.intoArray(c, cOff + 7 * ldc + L);
        v80.intoArray(c, cOff + 8 * ldc); v81.intoArray(c, cOff + 8 * ldc + L);
        v90.intoArray(c, cOff + 9 * ldc); v91.intoArray(c, cOff + 9 * ldc + L);
        va0.intoArray(c, cOff + 10 * ldc); va1.intoArray(c, cOff + 10 * ldc + L);
        vb0.intoArray(c, cOff + 11 * ldc); vb1.intoArray(c, cOff + 11 * ldc + L);
    }

    /** The first 8 rows of {@link #tile12}, for the common 8-row remainder (M = 512 = 42 × 12 + 8). */
    static void tile8(float[] a, int aOff, float[] b, int bOff, int kc, float[] c, int cOff, int ldc, boolean acc) {
        FloatVector v00 = init(c, cOff + 0 * ldc, acc), v01 = init(c, cOff + 0 * ldc + L, acc);
        FloatVector v10 = init(c, cOff + 1 * ldc, acc), v11 = init(c, cOff + 1 * ldc + L, acc);
        FloatVector v20 = init(c, cOff + 2 * ldc, acc), v21 = init(c, cOff + 2 * ldc + L, acc);
        FloatVector v30 = init(c, cOff + 3 * ldc, acc), v31 = init(c, cOff + 3 * ldc + L, acc);
        FloatVector v40 = init(c, cOff + 4 * ldc, acc), v41 = init(c, cOff + 4 * ldc + L, acc);
        FloatVector v50 = init(c, cOff + 5 * ldc, acc), v51 = init(c, cOff + 5 * ldc + L, acc);
        FloatVector v60 = init(c, cOff + 6 * ldc, acc), v61 = init(c, cOff + 6 * ldc + L, acc);
        FloatVector v70 = init(c, cOff + 7 * ldc, acc), v71 = init(c, cOff + 7 * ldc + L, acc);
        for (int kk = 0; kk < kc; kk++) {
            int bo = bOff + kk * NR, ao = aOff + kk * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bo), b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector x;
            x = FloatVector.broadcast(S, a[ao + 0]); v00 = b0.fma(x, v00); v01 = b1.fma(x, v01);
            x = FloatVector.broadcast(S, a[ao + 1]); v10 = b0.fma(x, v10); v11 = b1.fma(x, v11);
            x = FloatVector.broadcast(S, a[ao + 2]); v20 = b0.fma(x, v20); v21 = b1.fma(x, v21);
            x = FloatVector.broadcast(S, a[ao + 3]); v30 = b0.fma(x, v30); v31 = b1.fma(x, v31);
            x = FloatVector.broadcast(S, a[ao + 4]); v40 = b0.fma(x, v40); v41 = b1.fma(x, v41);
            x = FloatVector.broadcast(S, a[ao + 5]); v50 = b0.fma(x, v50); v51 = b1.fma(x, v51);
            x = FloatVector.broadcast(S, a[ao + 6]); v60 = b0.fma(x, v60); v61 = b1.fma(x, v61);
            x = FloatVector.broadcast(S, a[ao + 7]); v70 = b0.fma(x, v70); v71 = b1.fma(x, v71);
        }
        v00.intoArray(c, cOff + 0 * ldc); v01.intoArray(c, cOff + 0 * ldc + L);
        v10.intoArray(c, cOff + 1 * ldc); v11.intoArray(c, cOff + 1 * ldc + L);
        v20.intoArray(c, cOff + 2 * ldc); v21.intoArray(c, cOff + 2 * ldc + L);
        v30.intoArray(c, cOff + 3 * ldc); v31.intoArray(c, cOff + 3 * ldc + L);
        v40.intoArray(c, cOff + 4 * ldc); v41.intoArray(c, cOff + 4 * ldc + L);
        v50.intoArray(c, cOff + 5 * ldc); v51.intoArray(c, cOff + 5 * ldc + L);
        v60.intoArray(c, cOff + 6 * ldc); v61.intoArray(c, cOff + 6 * ldc + L);
        v70.intoArray(c, cOff + 7 * ldc); v71.intoArray(c, cOff + 7 * ldc + L);
    }

    /**
     * Packs {@code rows} (at most NR) row segments of length kc, starting at {@code src[srcOff]} with row stride
     * {@code stride}, into one k-major panel: {@code dst[dstOff + kk*NR + j] = src[srcOff + j*stride + kk]}, zero for
     * j &gt;= rows. Full panels are transposed L×L blocks at a time in registers.
     */
    public static void packRows(float[] src, int srcOff, int stride, int rows, int kc, float[] dst, int dstOff) {
        int kk = 0;
        if (rows == NR && Simd.enabled()) {
            if (Transpose.REGISTER_BLOCK) {
                for (; kk + L <= kc; kk += L) {
                    for (int q = 0; q < NR; q += L) {
                        Transpose.block16(src, srcOff + q * stride + kk, stride, dst, dstOff + kk * NR + q, NR);
                    }
                }
            } else {
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

    /**
     * A row-major {@code [rows, cols]} matrix stored in another form (16-bit floats, 4-bit codes, int8 rows) that
     * writes any run of its elements as floats: panels of B are filled a row segment at a time while the product
     * packs them, so the product never needs a float copy of the matrix. {@code transposed == false} gives B = W for
     * {@code y = x·Wᵀ} (NR rows of W are widened into a tile that {@link #packRows} transposes in registers);
     * {@code true} gives B = Wᵀ for {@code dx = dy·W} (the panel's k-rows are segments of W's rows).
     */
    public abstract static class SegmentPanels implements PanelSource {
        /** Per packing thread: NR rows of W as floats. */
        private static final ThreadLocal<float[]> ROWS = ThreadLocal.withInitial(() -> new float[0]);
        private final int rows, cols;
        private final boolean transposed;

        protected SegmentPanels(int rows, int cols, boolean transposed) {
            this.rows = rows;
            this.cols = cols;
            this.transposed = transposed;
        }

        /** Elements {@code [from, from + n)} of the row-major matrix, as floats, into {@code dst} from {@code dOff}. */
        protected abstract void segment(int from, int n, float[] dst, int dOff);

        @Override
        public int n() {
            return transposed ? cols : rows;
        }

        @Override
        public int k() {
            return transposed ? rows : cols;
        }

        @Override
        public void packPanel(int n0, int k0, int kc, float[] dst, int dstOff) {
            int width = Math.min(NR, n() - n0);
            if (transposed) {
                for (int kk = 0; kk < kc; kk++) {
                    int d = dstOff + kk * NR;
                    segment((k0 + kk) * cols + n0, width, dst, d);
                    if (width < NR) java.util.Arrays.fill(dst, d + width, d + NR, 0f);
                }
            } else {
                float[] tile = ROWS.get();
                if (tile.length < NR * kc) ROWS.set(tile = new float[NR * kc]);
                for (int j = 0; j < width; j++) segment((n0 + j) * cols + k0, kc, tile, j * kc);
                packRows(tile, 0, kc, width, kc, dst, dstOff);
            }
        }
    }

    /** {@link SegmentPanels} of a matrix whose elements are computed one at a time. */
    public abstract static class ElementPanels extends SegmentPanels {
        protected ElementPanels(int rows, int cols, boolean transposed) {
            super(rows, cols, transposed);
        }

        /** The element at row-major index {@code i} of the {@code [rows, cols]} matrix. */
        protected abstract float value(int i);

        @Override
        protected void segment(int from, int n, float[] dst, int dOff) {
            for (int i = 0; i < n; i++) dst[dOff + i] = value(from + i);
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
            if (width == NR && Simd.enabled()) {
                // Two vector copies per depth step; a 32-float arraycopy per step costs more in call overhead.
                int from = off + k0 * n + n0;
                for (int kk = 0; kk < kc; kk++) {
                    int d = dstOff + kk * NR, q = from + kk * n;
                    FloatVector.fromArray(S, b, q).intoArray(dst, d);
                    FloatVector.fromArray(S, b, q + L).intoArray(dst, d + L);
                }
                return;
            }
            for (int kk = 0; kk < kc; kk++) {
                int d = dstOff + kk * NR;
                System.arraycopy(b, off + (k0 + kk) * n + n0, dst, d, width);
                if (width < NR) java.util.Arrays.fill(dst, d + width, d + NR, 0f);
            }
        }
    }
}
