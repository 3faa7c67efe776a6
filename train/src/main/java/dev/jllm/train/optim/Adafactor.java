package dev.jllm.train.optim;

import dev.jllm.core.kernel.Parallel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * transformers' {@code Adafactor} (Shazeer and Stern, 2018) in its order of operations. A matrix keeps only the
 * running means of the squared gradient over its rows and over its columns (factored second moment,
 * {@code O(rows + cols)} memory); a vector keeps the full running mean. Each step, with {@code t} the step count:
 * <pre>
 *   β2ₜ = 1 − t^decay_rate                      (decay_rate −0.8)
 *   u   = g² + eps₁                              (eps₁ 1e-30)
 *   R   = β2ₜ·R + (1−β2ₜ)·mean_cols(u);  C = β2ₜ·C + (1−β2ₜ)·mean_rows(u)
 *   v̂   = (R / mean(R)) ⊗ C                      (vector: v = β2ₜ·v + (1−β2ₜ)·u)
 *   Δ   = g / sqrt(v̂);  Δ /= max(1, RMS(Δ) / clip_threshold)
 *   Δ  *= α,  α = lr, or with relative_step min(1e-2, 1/√t) (warmup_init: min(1e-6·t, 1/√t)),
 *            times max(eps₂, RMS(p)) with scale_parameter (eps₂ 1e-3)
 *   m   = β1·m + (1−β1)·Δ,  Δ = m                 (only when β1 is given)
 *   p  -= wd·α·p;  p -= Δ
 * </pre>
 * transformers' Trainer ({@code optim="adafactor"}) turns {@code scale_parameter} and {@code relative_step} off and
 * passes the scheduled learning rate; see {@link #forTrainer}.
 */
public final class Adafactor implements Optimizer {
    private final List<ParamGroup> groups;
    private final double eps1;
    private final double eps2;
    private final double clipThreshold;
    private final double decayRate;
    private final Double beta1;
    private final boolean scaleParameter;
    private final boolean relativeStep;
    private final boolean warmupInit;
    private final float[][] row;
    private final float[][] col;
    private final float[][] full;
    private final float[][] firstMoment;
    private long t;

    /** @param beta1 first-moment decay, or null for none (the default: no momentum, the memory saving) */
    public Adafactor(List<ParamGroup> groups, double eps1, double eps2, double clipThreshold, double decayRate, Double beta1,
                     boolean scaleParameter, boolean relativeStep, boolean warmupInit) {
        if (warmupInit && !relativeStep) throw new IllegalArgumentException("Adafactor warmup_init requires relative_step");
        if (!(clipThreshold > 0)) throw new IllegalArgumentException("Adafactor clip threshold must be > 0, got " + clipThreshold);
        this.groups = List.copyOf(groups);
        this.eps1 = eps1;
        this.eps2 = eps2;
        this.clipThreshold = clipThreshold;
        this.decayRate = decayRate;
        this.beta1 = beta1;
        this.scaleParameter = scaleParameter;
        this.relativeStep = relativeStep;
        this.warmupInit = warmupInit;
        int n = groups.size();
        row = new float[n][];
        col = new float[n][];
        full = new float[n][];
        firstMoment = new float[n][];
        for (int i = 0; i < n; i++) {
            int[] shape = groups.get(i).parameter().shape();
            if (shape.length > 2) throw new IllegalArgumentException("Adafactor here factors matrices only; '" + groups.get(i).parameter().name() + "' has " + shape.length + " dimensions");
            if (shape.length == 2) {
                row[i] = new float[shape[0]];
                col[i] = new float[shape[1]];
            } else {
                full[i] = new float[groups.get(i).parameter().size()];
            }
            if (beta1 != null) firstMoment[i] = new float[groups.get(i).parameter().size()];
        }
    }

    /** What transformers' Trainer builds for {@code optim="adafactor"}: the given learning rate, no scaling, no momentum. */
    public static Adafactor forTrainer(List<ParamGroup> groups) {
        return new Adafactor(groups, 1e-30, 1e-3, 1.0, -0.8, null, false, false, false);
    }

    private static double rms(double[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s) / Math.sqrt(x.length);
    }

    private static double rms(float[] x) {
        double s = 0;
        for (double v : x) s += v * v;
        return Math.sqrt(s) / Math.sqrt(x.length);
    }

    @Override
    public void step(double lr) {
        t++;
        Parallel.forChunks(groups.size(), 1, (w, g0, g1) -> {
            for (int gi = g0; gi < g1; gi++) update(gi, lr);
        });
    }

    private void update(int gi, double lr) {
        ParamGroup group = groups.get(gi);
        float[] p = group.parameter().value();
        float[] g = group.parameter().grad();
        double alpha = lr;
        if (relativeStep) alpha = Math.min(warmupInit ? 1e-6 * t : 1e-2, 1.0 / Math.sqrt(t));
        if (scaleParameter) alpha *= Math.max(eps2, rms(p));
        double beta2t = 1.0 - Math.pow(t, decayRate);
        double[] u = new double[p.length];
        if (row[gi] != null) {
            float[] r = row[gi], c = col[gi];
            int rows = r.length, cols = c.length;
            double[] colSum = new double[cols];
            for (int i = 0; i < rows; i++) {
                double rowSum = 0;
                for (int j = 0; j < cols; j++) {
                    double sq = (double) g[i * cols + j] * g[i * cols + j] + eps1;
                    rowSum += sq;
                    colSum[j] += sq;
                }
                r[i] = (float) (r[i] * beta2t + (1 - beta2t) * (rowSum / cols));
            }
            for (int j = 0; j < cols; j++) c[j] = (float) (c[j] * beta2t + (1 - beta2t) * (colSum[j] / rows));
            double rMean = 0;
            for (double v : r) rMean += v;
            rMean /= rows;
            for (int i = 0; i < rows; i++) {
                double rFactor = 1.0 / Math.sqrt(r[i] / rMean);
                for (int j = 0; j < cols; j++) u[i * cols + j] = rFactor * (1.0 / Math.sqrt(c[j])) * g[i * cols + j];
            }
        } else {
            float[] v = full[gi];
            for (int i = 0; i < p.length; i++) {
                v[i] = (float) (v[i] * beta2t + (1 - beta2t) * ((double) g[i] * g[i] + eps1));
                u[i] = g[i] / Math.sqrt(v[i]);
            }
        }
        double clip = Math.max(1.0, rms(u) / clipThreshold);
        for (int i = 0; i < u.length; i++) u[i] = u[i] / clip * alpha;
        if (beta1 != null) {
            float[] m = firstMoment[gi];
            for (int i = 0; i < u.length; i++) {
                m[i] = (float) (m[i] * beta1 + (1 - beta1) * u[i]);
                u[i] = m[i];
            }
        }
        double wd = group.weightDecay();
        for (int i = 0; i < p.length; i++) {
            if (wd != 0) p[i] += p[i] * (-wd * alpha);
            p[i] -= u[i];
        }
    }

    @Override
    public long steps() {
        return t;
    }

    @Override
    public Map<String, float[]> state() {
        var out = new LinkedHashMap<String, float[]>();
        for (int i = 0; i < groups.size(); i++) {
            String name = groups.get(i).parameter().name();
            if (row[i] != null) {
                out.put("exp_avg_sq_row/" + name, row[i]);
                out.put("exp_avg_sq_col/" + name, col[i]);
            } else {
                out.put("exp_avg_sq/" + name, full[i]);
            }
            if (firstMoment[i] != null) out.put("exp_avg/" + name, firstMoment[i]);
        }
        return out;
    }

    @Override
    public void restore(Map<String, float[]> state, long steps) {
        for (var e : state().entrySet()) Optimizer.copyInto(state, e.getKey(), e.getValue());
        this.t = steps;
    }
}
