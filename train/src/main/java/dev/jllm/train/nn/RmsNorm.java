package dev.jllm.train.nn;

import dev.jllm.core.kernel.Norms;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Llama/Qwen RMSNorm over the last {@code dim} values of each row: {@code y = w · x / sqrt(mean(x²) + eps)}.
 * Forward keeps the per-row reciprocal {@code rstd} so backward needs no second pass over the statistics. Sums of
 * squares and the backward's dot products accumulate in double; rows are spread over the cores.
 */
public final class RmsNorm {
    /** Rows per parallel grain: small enough to balance, large enough that a hidden-size row pays for the hand-off. */
    private static final int GRAIN = 16;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats as many as D has lanes: one load widens into one double vector. */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    private RmsNorm() {}

    private static DoubleVector widen(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
    }

    public static void forward(float[] y, float[] rstd, float[] x, float[] w, int rows, int dim, double eps) {
        Parallel.forRange(rows, GRAIN, (worker, r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                rstd[r] = Norms.rmsNormRow(x, o, w, eps, y, o, dim);  // the inference runtime's row, s kept
            }
        });
    }

    /**
     * With {@code n = x·s}: {@code dw += dy·n}, and {@code dx += s·(w·dy) − s·n·mean(w·dy·n)}, the second term
     * being the gradient through {@code s}. Each worker sums its rows' {@code dw} share in double; the shares are
     * added in worker order, so the result does not depend on timing.
     */
    public static void backward(float[] dx, float[] dw, float[] dy, float[] x, float[] w, float[] rstd,
                                int rows, int dim) {
        int threads = Parallel.threads();
        boolean vector = Simd.enabled();
        double[][] dwPart = dw == null ? null : new double[threads][];
        Parallel.forRange(rows, GRAIN, (worker, r0, r1) -> {
            double[] part = dw == null ? null : new double[dim];
            for (int r = r0; r < r1; r++) {
                int o = r * dim;
                float s = rstd[r];
                double dot = 0;
                int i0 = 0;
                if (vector) {
                    // dw's per-column sums add exactly as the scalar loop's; the dot product keeps per-lane partial
                    // sums (a fixed order, so still reproducible)
                    FloatVector sv = FloatVector.broadcast(FH, s);
                    DoubleVector acc = DoubleVector.zero(D);
                    for (; i0 + FH.length() <= dim; i0 += FH.length()) {
                        FloatVector n = FloatVector.fromArray(FH, x, o + i0).mul(sv);
                        FloatVector dyv = FloatVector.fromArray(FH, dy, o + i0);
                        DoubleVector nd = widen(n);
                        acc = acc.add(widen(FloatVector.fromArray(FH, w, i0).mul(dyv)).mul(nd));
                        if (part != null) DoubleVector.fromArray(D, part, i0).add(widen(dyv).mul(nd)).intoArray(part, i0);
                    }
                    dot = Simd.sumInLaneOrder(acc);
                }
                for (int i = i0; i < dim; i++) {
                    float n = x[o + i] * s;
                    dot += (double) (w[i] * dy[o + i]) * n;
                    if (part != null) part[i] += (double) dy[o + i] * n;
                }
                float mean = (float) (dot / dim);
                if (dx != null) {
                    int i = 0;
                    if (vector) {
                        FloatVector sv = FloatVector.broadcast(F, s), mv = FloatVector.broadcast(F, mean);
                        for (; i + F.length() <= dim; i += F.length()) {
                            FloatVector t = FloatVector.fromArray(F, w, i).mul(FloatVector.fromArray(F, dy, o + i))
                                    .sub(FloatVector.fromArray(F, x, o + i).mul(sv).mul(mv));
                            FloatVector.fromArray(F, dx, o + i).add(sv.mul(t)).intoArray(dx, o + i);
                        }
                    }
                    for (; i < dim; i++) dx[o + i] += s * (w[i] * dy[o + i] - x[o + i] * s * mean);
                }
            }
            if (part != null) dwPart[worker] = part;
        });
        if (dw != null) {
            for (double[] part : dwPart) {
                if (part == null) continue;
                for (int i = 0; i < dim; i++) dw[i] += (float) part[i];
            }
        }
    }
}
