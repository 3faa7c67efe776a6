package dev.jllm.train.optim;

import dev.jllm.core.kernel.Norms;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import dev.jllm.train.nn.Parameter;

import java.util.List;

/** {@code torch.nn.utils.clip_grad_norm_} with the L2 norm over all given gradients together. */
public final class GradClip {
    private GradClip() {}

    /**
     * The global L2 norm of the gradients, NaN or infinite when one of them is. Each parameter's sum of squares is
     * taken in parallel and the sums are added in parameter order, so the result does not depend on scheduling.
     */
    public static double globalNorm(List<Parameter> parameters) {
        double[] partial = new double[parameters.size()];
        Parallel.forChunks(parameters.size(), 1, (w, p0, p1) -> {
            for (int i = p0; i < p1; i++) {
                float[] g = parameters.get(i).grad();
                if (g == null) continue;
                partial[i] = sumOfSquares(g);
            }
        });
        double sum = 0;
        for (double s : partial) sum += s;
        return Math.sqrt(sum);
    }

    /** {@code Σ g²} in double, in {@link Norms#sumOfSquares}' fixed order (the result does not vary between runs). */
    static double sumOfSquares(float[] g) {
        return Norms.sumOfSquares(g, 0, g.length);
    }

    /** PyTorch's factor {@code min(1, maxNorm / (norm + 1e-6))}. */
    public static double coefficient(double norm, double maxNorm) {
        return Math.min(1.0, maxNorm / (norm + 1e-6));
    }

    /** Scales every gradient by the clip coefficient when it is below one; returns the norm before clipping. */
    public static double clip(List<Parameter> parameters, double maxNorm) {
        double norm = globalNorm(parameters);
        double coef = coefficient(norm, maxNorm);
        if (coef < 1.0) scale(parameters, coef);
        return norm;
    }

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    /** Multiplies every gradient by {@code factor}. */
    public static void scale(List<Parameter> parameters, double factor) {
        Parallel.forChunks(parameters.size(), 1, (w, p0, p1) -> {
            for (int j = p0; j < p1; j++) {
                float[] g = parameters.get(j).grad();
                if (g == null) continue;
                int i = 0;
                if (Simd.enabled()) {
                    // g[i] *= factor multiplies in double and rounds once to float; the lanes do the same
                    DoubleVector f = DoubleVector.broadcast(D, factor);
                    for (; i + F.length() <= g.length; i += F.length()) {
                        DoubleVector x = (DoubleVector) FloatVector.fromArray(F, g, i).convertShape(VectorOperators.F2D, D, 0);
                        ((FloatVector) x.mul(f).convertShape(VectorOperators.D2F, F, 0)).intoArray(g, i);
                    }
                }
                for (; i < g.length; i++) g[i] *= factor;
            }
        });
    }
}
