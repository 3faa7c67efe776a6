package dev.jllm.train.optim;

import java.util.List;

/**
 * {@code torch.optim.SGD}: weight decay is L2 added to the gradient (coupled, unlike AdamW), then momentum
 * {@code buf = μ·buf + (1−dampening)·g} (the first step sets {@code buf = g}), optionally Nesterov, then
 * {@code p −= lr·update}. transformers' {@code optim="sgd"} uses momentum 0.
 */
public final class Sgd implements Optimizer {
    private final List<ParamGroup> groups;
    private final double momentum;
    private final double dampening;
    private final boolean nesterov;
    private final float[][] buffers;
    private long t;

    public Sgd(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        if (momentum < 0) throw new IllegalArgumentException("SGD momentum must be >= 0, got " + momentum);
        if (nesterov && (momentum <= 0 || dampening != 0)) {
            throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        }
        this.groups = List.copyOf(groups);
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
        this.buffers = new float[groups.size()][];
    }

    public Sgd(List<ParamGroup> groups) {
        this(groups, 0, 0, false);
    }

    @Override
    public void step(double lr) {
        for (int gi = 0; gi < groups.size(); gi++) {
            ParamGroup group = groups.get(gi);
            float[] p = group.parameter().value();
            float[] g = group.parameter().grad();
            double wd = group.weightDecay();
            if (momentum != 0 && buffers[gi] == null) buffers[gi] = new float[p.length];
            float[] buf = buffers[gi];
            for (int i = 0; i < p.length; i++) {
                double d = g[i] + wd * p[i];
                if (momentum != 0) {
                    buf[i] = (float) (t == 0 ? d : momentum * buf[i] + (1 - dampening) * d);
                    d = nesterov ? d + momentum * buf[i] : buf[i];
                }
                p[i] -= lr * d;
            }
        }
        t++;
    }

    @Override
    public java.util.Map<String, float[]> state() {
        var out = new java.util.LinkedHashMap<String, float[]>();
        for (int i = 0; i < groups.size(); i++) {
            if (buffers[i] != null) out.put("momentum_buffer/" + groups.get(i).parameter().name(), buffers[i]);
        }
        return out;
    }

    @Override
    public void restore(java.util.Map<String, float[]> state, long steps) {
        for (int i = 0; i < groups.size(); i++) {
            String key = "momentum_buffer/" + groups.get(i).parameter().name();
            if (momentum != 0 && steps > 0) {
                buffers[i] = new float[groups.get(i).parameter().size()];
                Optimizer.copyInto(state, key, buffers[i]);
            }
        }
        this.t = steps;
    }

    @Override
    public long steps() {
        return t;
    }
}
