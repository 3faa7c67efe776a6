package dev.jllm.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * In-register transpose of L×L float blocks (L = vector length) for packing row-major B into k-major GEMM panels.
 * log2(L) stages; stage s swaps the off-diagonal s×s sub-blocks of each 2s×2s block with one lane permutation and
 * one blend per vector. Each pair step is its own small method (working through a scratch tile in L1) so C2 keeps
 * every vector operation intrinsic instead of running out of inlining budget on one huge method.
 */
final class Transpose {
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

    private Transpose() {}

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
