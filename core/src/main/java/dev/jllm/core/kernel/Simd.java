package dev.jllm.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.util.function.IntUnaryOperator;

/**
 * Chooses between the Vector API kernels and their scalar twins. {@code -Djllm.vector=false} selects the scalar
 * code for JVMs that compile the Vector API badly (or not at all); tests flip it with {@link #setEnabled}.
 */
public final class Simd {
    /** The widest float species this CPU runs natively; all vector kernels are written against it. */
    public static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    private static boolean enabled = !"false".equalsIgnoreCase(System.getProperty("jllm.vector", "true").trim());

    private Simd() {}

    public static boolean enabled() {
        return enabled;
    }

    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /**
     * The lanes of {@code v} added in lane order. {@code reduceLanes(ADD)} on floating point leaves the order open, and
     * C2 adds pairwise where the interpreter adds in order, so a sum could change in its last bit once a loop was
     * compiled: a training run resumed in a fresh JVM then logged a grad_norm one ulp away from the uninterrupted run.
     */
    public static double sumInLaneOrder(DoubleVector v) {
        double s = 0;
        for (int i = 0; i < v.length(); i++) s += v.lane(i);
        return s;
    }

    // Fixed-order lane sums. reduceLanes(ADD) adds in an order the Vector API leaves open: C2 adds pairwise, the
    // interpreter and C1 in lane order, so a dot product could change in its last bit once its kernel was compiled,
    // and two runs of `jllm logits` on the same input printed different values. The decode kernels end with the
    // lanewise steps below instead (adds of whole vectors are exact in every tier). They are written out where they
    // are used: C2 does not inline a helper at the end of a large kernel (NodeCountInliningCutoff, or "callee is too
    // large" at a call site it sees once per call), and a call left out of line boxes the vector it is passed.

    /** Lane i paired with lane i ^ k over {@link #F}; null where k is not below the lane count. */
    public static final VectorShuffle<Float> SWAP8 = partners(i -> i ^ 8, 16), SWAP4 = partners(i -> i ^ 4, 8),
            SWAP2 = partners(i -> i ^ 2, 4), SWAP1 = partners(i -> i ^ 1, 2);

    /**
     * Two-vector selections that fold four accumulators a0..a3 into one vector of partial sums, a quarter of the
     * lanes per accumulator: {@code b01 = a0.rearrange(PAIR_LO, a1).add(a0.rearrange(PAIR_HI, a1))} holds
     * a0[i] + a0[i + L/2] in its low half and the same of a1 in its high half; with b23 likewise,
     * {@code c = b01.rearrange(QUAD_LO, b23).add(b01.rearrange(QUAD_HI, b23))} holds a_r's L/4 partial sums in lanes
     * {@code [r·L/4, (r+1)·L/4)}; {@link #SWAP2} and {@link #SWAP1} steps (as far as L/4 allows) finish each quarter,
     * and lane {@code r·L/4} is then the sum of a_r. (Indices at or above L select from the second vector.)
     */
    public static final VectorShuffle<Float> PAIR_LO = partners(i -> i < F.length() / 2 ? i : F.length() + i - F.length() / 2, 2),
            PAIR_HI = partners(i -> i < F.length() / 2 ? i + F.length() / 2 : F.length() + i, 2),
            QUAD_LO = partners(Simd::quadLow, 4),
            QUAD_HI = partners(i -> quadLow(i) + F.length() / 4, 4);

    /** Lanes per accumulator after the PAIR and QUAD folds. */
    public static final int QUARTER = F.length() / 4;

    private static int quadLow(int i) {
        int q = F.length() / 4, h = F.length() / 2;
        int block = i / q, j = i % q;  // blocks: a0, a1 (from b01's halves), a2, a3 (from b23's halves)
        return (block >= 2 ? F.length() : 0) + (block % 2) * h + j;
    }

    private static VectorShuffle<Float> partners(IntUnaryOperator lane, int minLanes) {
        return F.length() >= minLanes ? VectorShuffle.fromOp(F, lane) : null;
    }

    /**
     * The lanes of {@code v} (of species {@link #F}) added in the fixed butterfly order of the kernels: lane i with
     * lane i ^ L/2, then i ^ L/4, and so on. For code outside the hot loops; see the note above.
     */
    public static float sum(FloatVector v) {
        if (SWAP8 != null) v = v.add(v.rearrange(SWAP8));
        if (SWAP4 != null) v = v.add(v.rearrange(SWAP4));
        if (SWAP2 != null) v = v.add(v.rearrange(SWAP2));
        if (SWAP1 != null) v = v.add(v.rearrange(SWAP1));
        return v.lane(0);
    }
}
