package dev.jllm.train.optim;

import dev.jllm.train.nn.Parameter;

import java.util.List;

/** {@code torch.nn.utils.clip_grad_norm_} with the L2 norm over all given gradients together. */
public final class GradClip {
    private GradClip() {}

    /** The global L2 norm of the gradients, NaN or infinite when one of them is. */
    public static double globalNorm(List<Parameter> parameters) {
        double sum = 0;
        for (Parameter p : parameters) {
            double[] g = p.grad();
            if (g == null) continue;
            for (double x : g) sum += x * x;
        }
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
        if (coef < 1.0) {
            for (Parameter p : parameters) {
                double[] g = p.grad();
                if (g == null) continue;
                for (int i = 0; i < g.length; i++) g[i] *= coef;
            }
        }
        return norm;
    }
}
