package dev.jllm.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-register transpose of L×L float blocks (L = vector length) for packing row-major B into k-major GEMM panels
 * (and attention's key tiles).
 * log2(L) stages; stage s swaps the off-diagonal s×s sub-blocks of each 2s×2s block with one lane permutation and
 * one blend per vector. Each pair step is its own small method (working through a scratch tile in L1) so C2 keeps
 * every vector operation intrinsic instead of running out of inlining budget on one huge method.
 */
public final class Transpose {
    private static final VectorSpecies<Float> S = Simd.F;
    static final int L = S.length();
    private static final int STAGES = Integer.numberOfTrailingZeros(L);
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] SWAP = new VectorShuffle[STAGES];
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] HIGH = new VectorMask[STAGES];

    static {
        for (int t = 0; t < STAGES; t++) {
            int s = 1 << t;
            SWAP[t] = VectorShuffle.fromOp(S, l -> l ^ s);
            long bits = 0;
            for (int l = 0; l < L; l++) if ((l & s) != 0) bits |= 1L << l;
            HIGH[t] = VectorMask.fromLong(S, bits);
        }
    }

    /** Whether {@link #block16} applies: the preferred species has 16 float lanes (AVX-512). */
    public static final boolean REGISTER_BLOCK = L == 16;
    // Lane selectors for one butterfly stage of distance s on a row pair (a = row i, b = row i + s): LO keeps a's
    // lanes whose bit s is clear and takes b's lanes shifted up by s; HI takes a's lanes shifted down and keeps b's.
    private static final FloatVector LO1 = selector(1, false), HI1 = selector(1, true), LO2 = selector(2, false),
            HI2 = selector(2, true), LO4 = selector(4, false), HI4 = selector(4, true), LO8 = selector(8, false),
            HI8 = selector(8, true);

    private static FloatVector selector(int s, boolean hi) {
        float[] v = new float[L];
        if (L != 16) return FloatVector.zero(S);
        for (int l = 0; l < L; l++) {
            if (!hi) v[l] = (l & s) == 0 ? l : L + l - s;
            else v[l] = (l & s) == 0 ? l + s : L + l;
        }
        return FloatVector.fromArray(S, v, 0);
    }

    private Transpose() {}

    /**
     * Transposes the 16×16 block whose rows start at {@code src[off + r*ld]} and writes its column {@code j} as 16
     * consecutive floats at {@code dst[dOff + j*dld]}, in increasing j, so with {@code dld < 16} each store's tail
     * is overwritten by the next (the last store is masked to {@code dld} lanes: nothing is written at or past
     * {@code dst[dOff + 16*dld]}). Everything stays in registers: 64 two-source lane selects ({@code vpermt2ps}),
     * 16 loads, 16 stores. Only for 16-lane species ({@link #REGISTER_BLOCK}).
     */
    public static void block16(float[] src, int off, int ld, float[] dst, int dOff, int dld) {
        FloatVector r0 = FloatVector.fromArray(S, src, off), r1 = FloatVector.fromArray(S, src, off + ld),
                r2 = FloatVector.fromArray(S, src, off + 2 * ld), r3 = FloatVector.fromArray(S, src, off + 3 * ld),
                r4 = FloatVector.fromArray(S, src, off + 4 * ld), r5 = FloatVector.fromArray(S, src, off + 5 * ld),
                r6 = FloatVector.fromArray(S, src, off + 6 * ld), r7 = FloatVector.fromArray(S, src, off + 7 * ld),
                r8 = FloatVector.fromArray(S, src, off + 8 * ld), r9 = FloatVector.fromArray(S, src, off + 9 * ld),
                ra = FloatVector.fromArray(S, src, off + 10 * ld), rb = FloatVector.fromArray(S, src, off + 11 * ld),
                rc = FloatVector.fromArray(S, src, off + 12 * ld), rd = FloatVector.fromArray(S, src, off + 13 * ld),
                re = FloatVector.fromArray(S, src, off + 14 * ld), rf = FloatVector.fromArray(S, src, off + 15 * ld);
        FloatVector t0, t1;
        // stage 8
        t0 = LO8.selectFrom(r0, r8); t1 = HI8.selectFrom(r0, r8); r0 = t0; r8 = t1;
        t0 = LO8.selectFrom(r1, r9); t1 = HI8.selectFrom(r1, r9); r1 = t0; r9 = t1;
        t0 = LO8.selectFrom(r2, ra); t1 = HI8.selectFrom(r2, ra); r2 = t0; ra = t1;
        t0 = LO8.selectFrom(r3, rb); t1 = HI8.selectFrom(r3, rb); r3 = t0; rb = t1;
        t0 = LO8.selectFrom(r4, rc); t1 = HI8.selectFrom(r4, rc); r4 = t0; rc = t1;
        t0 = LO8.selectFrom(r5, rd); t1 = HI8.selectFrom(r5, rd); r5 = t0; rd = t1;
        t0 = LO8.selectFrom(r6, re); t1 = HI8.selectFrom(r6, re); r6 = t0; re = t1;
        t0 = LO8.selectFrom(r7, rf); t1 = HI8.selectFrom(r7, rf); r7 = t0; rf = t1;
        // stage 4
        t0 = LO4.selectFrom(r0, r4); t1 = HI4.selectFrom(r0, r4); r0 = t0; r4 = t1;
        t0 = LO4.selectFrom(r1, r5); t1 = HI4.selectFrom(r1, r5); r1 = t0; r5 = t1;
        t0 = LO4.selectFrom(r2, r6); t1 = HI4.selectFrom(r2, r6); r2 = t0; r6 = t1;
        t0 = LO4.selectFrom(r3, r7); t1 = HI4.selectFrom(r3, r7); r3 = t0; r7 = t1;
        t0 = LO4.selectFrom(r8, rc); t1 = HI4.selectFrom(r8, rc); r8 = t0; rc = t1;
        t0 = LO4.selectFrom(r9, rd); t1 = HI4.selectFrom(r9, rd); r9 = t0; rd = t1;
        t0 = LO4.selectFrom(ra, re); t1 = HI4.selectFrom(ra, re); ra = t0; re = t1;
        t0 = LO4.selectFrom(rb, rf); t1 = HI4.selectFrom(rb, rf); rb = t0; rf = t1;
        // stage 2
        t0 = LO2.selectFrom(r0, r2); t1 = HI2.selectFrom(r0, r2); r0 = t0; r2 = t1;
        t0 = LO2.selectFrom(r1, r3); t1 = HI2.selectFrom(r1, r3); r1 = t0; r3 = t1;
        t0 = LO2.selectFrom(r4, r6); t1 = HI2.selectFrom(r4, r6); r4 = t0; r6 = t1;
        t0 = LO2.selectFrom(r5, r7); t1 = HI2.selectFrom(r5, r7); r5 = t0; r7 = t1;
        t0 = LO2.selectFrom(r8, ra); t1 = HI2.selectFrom(r8, ra); r8 = t0; ra = t1;
        t0 = LO2.selectFrom(r9, rb); t1 = HI2.selectFrom(r9, rb); r9 = t0; rb = t1;
        t0 = LO2.selectFrom(rc, re); t1 = HI2.selectFrom(rc, re); rc = t0; re = t1;
        t0 = LO2.selectFrom(rd, rf); t1 = HI2.selectFrom(rd, rf); rd = t0; rf = t1;
        // stage 1
        t0 = LO1.selectFrom(r0, r1); t1 = HI1.selectFrom(r0, r1); r0 = t0; r1 = t1;
        t0 = LO1.selectFrom(r2, r3); t1 = HI1.selectFrom(r2, r3); r2 = t0; r3 = t1;
        t0 = LO1.selectFrom(r4, r5); t1 = HI1.selectFrom(r4, r5); r4 = t0; r5 = t1;
        t0 = LO1.selectFrom(r6, r7); t1 = HI1.selectFrom(r6, r7); r6 = t0; r7 = t1;
        t0 = LO1.selectFrom(r8, r9); t1 = HI1.selectFrom(r8, r9); r8 = t0; r9 = t1;
        t0 = LO1.selectFrom(ra, rb); t1 = HI1.selectFrom(ra, rb); ra = t0; rb = t1;
        t0 = LO1.selectFrom(rc, rd); t1 = HI1.selectFrom(rc, rd); rc = t0; rd = t1;
        t0 = LO1.selectFrom(re, rf); t1 = HI1.selectFrom(re, rf); re = t0; rf = t1;
        r0.intoArray(dst, dOff); r1.intoArray(dst, dOff + dld); r2.intoArray(dst, dOff + 2 * dld); r3.intoArray(dst, dOff + 3 * dld);
        r4.intoArray(dst, dOff + 4 * dld); r5.intoArray(dst, dOff + 5 * dld); r6.intoArray(dst, dOff + 6 * dld); r7.intoArray(dst, dOff + 7 * dld);
        r8.intoArray(dst, dOff + 8 * dld); r9.intoArray(dst, dOff + 9 * dld); ra.intoArray(dst, dOff + 10 * dld); rb.intoArray(dst, dOff + 11 * dld);
        rc.intoArray(dst, dOff + 12 * dld); rd.intoArray(dst, dOff + 13 * dld); re.intoArray(dst, dOff + 14 * dld); if (dld >= L) rf.intoArray(dst, dOff + 15 * dld);
        else rf.intoArray(dst, dOff + 15 * dld, S.indexInRange(0, dld));
    }


    /** Transposes the L×L tile stored row-major (row stride L) in {@code tile} in place. */
    static void tile(float[] tile) {
        for (int t = STAGES - 1; t >= 0; t--) {
            int s = 1 << t;
            for (int i = 0; i < L; i++) {
                if ((i & s) == 0) pair(tile, i * L, (i + s) * L, t);
            }
        }
    }

    private static void pair(float[] tile, int ia, int ib, int t) {
        FloatVector a = FloatVector.fromArray(S, tile, ia);
        FloatVector b = FloatVector.fromArray(S, tile, ib);
        FloatVector as = a.rearrange(SWAP[t]);
        FloatVector bs = b.rearrange(SWAP[t]);
        a.blend(bs, HIGH[t]).intoArray(tile, ia);
        as.blend(b, HIGH[t]).intoArray(tile, ib);
    }
}
