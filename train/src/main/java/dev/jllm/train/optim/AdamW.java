package dev.jllm.train.optim;

import java.util.List;

/**
 * {@code torch.optim.AdamW} (non-fused, no amsgrad) on float32 parameters and float32 moments, each update computed
 * in double and rounded once per stored value: decoupled weight decay {@code p *= 1 − lr·wd} first, then
 * the bias-corrected Adam step {@code p −= lr/(1−β1ᵗ) · m / (sqrt(v)/sqrt(1−β2ᵗ) + eps)}, with the operations in
 * PyTorch's order so results agree to rounding.
 */
public final class AdamW implements Optimizer {
    private final List<ParamGroup> groups;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final float[][] m;
    private final float[][] v;
    private long t;

    public AdamW(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must lie in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps >= 0)) throw new IllegalArgumentException("AdamW epsilon must be >= 0, got " + eps);
        this.groups = List.copyOf(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.m = new float[groups.size()][];
        this.v = new float[groups.size()][];
        for (int i = 0; i < groups.size(); i++) {
            m[i] = new float[groups.get(i).parameter().size()];
            v[i] = new float[groups.get(i).parameter().size()];
        }
    }

    /** transformers' defaults: betas (0.9, 0.999), eps 1e-8. */
    public AdamW(List<ParamGroup> groups) {
        this(groups, 0.9, 0.999, 1e-8);
    }

    @Override
    public void step(double lr) {
        t++;
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, t));
        double stepSize = lr / bc1;
        // Parameters are independent; two cores draw more memory bandwidth than one on this memory-bound loop.
        java.util.stream.IntStream.range(0, groups.size()).parallel().forEach(gi -> update(gi, lr, stepSize, bc2Sqrt));
    }

    private void update(int gi, double lr, double stepSize, double bc2Sqrt) {
        ParamGroup group = groups.get(gi);
        float[] p = group.parameter().value();
        float[] g = group.parameter().grad();
        float[] mi = m[gi], vi = v[gi];
        double decay = 1 - lr * group.weightDecay();
        for (int i = 0; i < p.length; i++) {
            double gr = g[i];
            double pi = (float) (p[i] * decay);
            float m = (float) (beta1 * mi[i] + (1 - beta1) * gr);
            float vv = (float) (beta2 * vi[i] + (1 - beta2) * gr * gr);
            mi[i] = m;
            vi[i] = vv;
            p[i] = (float) (pi - stepSize * m / (Math.sqrt(vv) / bc2Sqrt + eps));
        }
    }

    @Override
    public long steps() {
        return t;
    }

    @Override
    public java.util.Map<String, float[]> state() {
        var out = new java.util.LinkedHashMap<String, float[]>();
        for (int i = 0; i < groups.size(); i++) {
            out.put("exp_avg/" + groups.get(i).parameter().name(), m[i]);
            out.put("exp_avg_sq/" + groups.get(i).parameter().name(), v[i]);
        }
        return out;
    }

    @Override
    public void restore(java.util.Map<String, float[]> state, long steps) {
        for (int i = 0; i < groups.size(); i++) {
            Optimizer.copyInto(state, "exp_avg/" + groups.get(i).parameter().name(), m[i]);
            Optimizer.copyInto(state, "exp_avg_sq/" + groups.get(i).parameter().name(), v[i]);
        }
        this.t = steps;
    }

    /** First and second moments of group i (for checkpoints and tests). */
    public float[] firstMoment(int i) {
        return m[i];
    }

    public float[] secondMoment(int i) {
        return v[i];
    }
}
