package dev.jllm.train.optim;

import dev.jllm.core.kernel.Parallel;
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
                double s = 0;
                for (float x : g) s += (double) x * x;
                partial[i] = s;
            }
        });
        double sum = 0;
        for (double s : partial) sum += s;
        return Math.sqrt(sum);
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

    /** Multiplies every gradient by {@code factor}. */
    public static void scale(List<Parameter> parameters, double factor) {
        Parallel.forChunks(parameters.size(), 1, (w, p0, p1) -> {
            for (int j = p0; j < p1; j++) {
                float[] g = parameters.get(j).grad();
                if (g == null) continue;
                for (int i = 0; i < g.length; i++) g[i] *= factor;
            }
        });
    }
}
