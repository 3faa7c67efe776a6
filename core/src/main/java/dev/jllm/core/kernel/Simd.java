package dev.jllm.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

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

    // For sum: lane i + h onto lane i, for h = L/2, L/4, ..., 1 (null where h >= L)
    private static final VectorShuffle<Float> H8 = halving(8), H4 = halving(4), H2 = halving(2), H1 = halving(1);

    private static VectorShuffle<Float> halving(int h) {
        int lanes = F.length();
        return h < lanes ? VectorShuffle.fromOp(F, i -> (i + h) & (lanes - 1)) : null;
    }

    /**
     * The lanes of {@code v} (of species {@link #F}, at most 16 lanes) added as a fixed pairwise tree: lane i with
     * lane i + L/2, then i + L/4, and so on. The decode kernels' dot products end here rather than in
     * {@code reduceLanes(ADD)}, whose order is left open (C2 and the interpreter differ), so logits no longer depend
     * on how far a JVM has compiled its kernels. Costs what C2's reduceLanes costs: one lane permutation and one
     * add per halving.
     */
    public static float sum(FloatVector v) {
        int lanes = F.length();
        if (lanes > 16) throw new IllegalStateException("Simd.sum supports up to 16 float lanes, the species has " + lanes);
        if (lanes == 16) v = v.add(v.rearrange(H8));
        if (lanes >= 8) v = v.add(v.rearrange(H4));
        if (lanes >= 4) v = v.add(v.rearrange(H2));
        if (lanes >= 2) v = v.add(v.rearrange(H1));
        return v.lane(0);
    }
}
