package dev.jllm.core.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
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
}
