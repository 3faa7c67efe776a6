package dev.jllm.train.optim;

import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.kernel.Simd;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code torch.optim.AdamW} (non-fused, no amsgrad) on float32 parameters and float32 moments, each update computed
 * in double and rounded once per stored value: decoupled weight decay {@code p *= 1 − lr·wd} first, then
 * the bias-corrected Adam step {@code p −= lr/(1−β1ᵗ) · m / (sqrt(v)/sqrt(1−β2ᵗ) + eps)}, with the operations in
 * PyTorch's order so results agree to rounding.
 *
 * <p>{@link #paged} is bitsandbytes' {@code PagedAdamW32bit}: the same update, with both moments in memory-mapped,
 * already-unlinked files ({@link PagedMemory}) that the OS can write back and drop from memory under pressure, the
 * CPU counterpart of bitsandbytes' unified memory. The update runs on chunks copied out of the mapping and back, through
 * the very loop the heap state uses, so the results are bit for bit those of {@code adamw_torch}.
 */
public final class AdamW implements Optimizer {
    /** Elements per chunk the paged variant copies between its mapped state and the update loop. */
    private static final int CHUNK = 1 << 14;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final List<ParamGroup> groups;
    private final double beta1;
    private final double beta2;
    private final double eps;
    /** Heap moments; null when paged. */
    private final float[][] m;
    private final float[][] v;
    /** Paged moments of each group, {@code [m | v]} as floats; null on the heap. */
    private final MemorySegment[] pages;
    private long t;

    public AdamW(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        this(groups, beta1, beta2, eps, null);
    }

    /** {@code paged_adamw_32bit}: both moments in memory-mapped files created (and unlinked at once) in {@code directory}. */
    public static AdamW paged(List<ParamGroup> groups, double beta1, double beta2, double eps, Path directory) {
        return new AdamW(groups, beta1, beta2, eps, directory);
    }

    /** {@code paged_adamw_32bit} with its files in the system temporary directory. */
    public static AdamW paged(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        return paged(groups, beta1, beta2, eps, Path.of(System.getProperty("java.io.tmpdir")));
    }

    private AdamW(List<ParamGroup> groups, double beta1, double beta2, double eps, Path pageDirectory) {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("AdamW betas must lie in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps >= 0)) throw new IllegalArgumentException("AdamW epsilon must be >= 0, got " + eps);
        this.groups = List.copyOf(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        if (pageDirectory == null) {
            this.pages = null;
            this.m = new float[groups.size()][];
            this.v = new float[groups.size()][];
            for (int i = 0; i < groups.size(); i++) {
                m[i] = new float[groups.get(i).parameter().size()];
                v[i] = new float[groups.get(i).parameter().size()];
            }
        } else {
            this.m = null;
            this.v = null;
            this.pages = new MemorySegment[groups.size()];
            // an automatic arena: the mappings go when the optimizer is garbage, and the unlinked files with them
            Arena arena = Arena.ofAuto();
            for (int i = 0; i < groups.size(); i++) {
                pages[i] = PagedMemory.allocate(8L * groups.get(i).parameter().size(), pageDirectory, "jllm-paged-adamw32bit-", arena);
            }
        }
    }

    public boolean isPaged() {
        return pages != null;
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
        Parallel.forChunks(groups.size(), 1, (w, g0, g1) -> {
            for (int gi = g0; gi < g1; gi++) update(gi, lr, stepSize, bc2Sqrt);
        });
    }

    private void update(int gi, double lr, double stepSize, double bc2Sqrt) {
        ParamGroup group = groups.get(gi);
        float[] p = group.parameter().value();
        float[] g = group.parameter().grad();
        double decay = 1 - lr * group.weightDecay();
        if (pages == null) {
            adam(p, g, 0, m[gi], v[gi], 0, p.length, decay, stepSize, bc2Sqrt);
            return;
        }
        MemorySegment page = pages[gi];
        long vBase = 4L * p.length;
        float[] mc = new float[Math.min(CHUNK, p.length)], vc = new float[mc.length];
        for (int from = 0; from < p.length; from += CHUNK) {
            int len = Math.min(CHUNK, p.length - from);
            MemorySegment.copy(page, F32, 4L * from, mc, 0, len);
            MemorySegment.copy(page, F32, vBase + 4L * from, vc, 0, len);
            adam(p, g, from, mc, vc, 0, len, decay, stepSize, bc2Sqrt);
            MemorySegment.copy(mc, 0, page, F32, 4L * from, len);
            MemorySegment.copy(vc, 0, page, F32, vBase + 4L * from, len);
        }
    }

    /**
     * The update of {@code n} elements: parameter and gradient from {@code at}, moments from {@code stateAt}. The
     * vector loop does the scalar loop's double operations lane by lane, in the same order and with no fused
     * multiply-add, so both round alike and the result does not depend on which one ran (a scalar loop spent most
     * of its time in one double division and square root at a time).
     */
    private void adam(float[] p, float[] g, int at, float[] mi, float[] vi, int stateAt, int n, double decay, double stepSize,
                      double bc2Sqrt) {
        int k = 0;
        if (Simd.enabled()) {
            int lanes = D.length();
            DoubleVector b1 = DoubleVector.broadcast(D, beta1), c1 = DoubleVector.broadcast(D, 1 - beta1);
            DoubleVector b2 = DoubleVector.broadcast(D, beta2), c2 = DoubleVector.broadcast(D, 1 - beta2);
            DoubleVector dec = DoubleVector.broadcast(D, decay), step = DoubleVector.broadcast(D, stepSize);
            DoubleVector bc2 = DoubleVector.broadcast(D, bc2Sqrt), epsV = DoubleVector.broadcast(D, eps);
            for (; k + lanes <= n; k += lanes) {
                int i = at + k, j = stateAt + k;
                DoubleVector gr = widen(g, i);
                DoubleVector pi = narrowed(widen(p, i).mul(dec));
                DoubleVector m = narrowed(b1.mul(widen(mi, j)).add(c1.mul(gr)));
                DoubleVector vv = narrowed(b2.mul(widen(vi, j)).add(c2.mul(gr).mul(gr)));
                narrow(m, mi, j);
                narrow(vv, vi, j);
                narrow(pi.sub(step.mul(m).div(vv.sqrt().div(bc2).add(epsV))), p, i);
            }
        }
        for (; k < n; k++) {
            int i = at + k, j = stateAt + k;
            double gr = g[i];
            double pi = (float) (p[i] * decay);
            float m = (float) (beta1 * mi[j] + (1 - beta1) * gr);
            float vv = (float) (beta2 * vi[j] + (1 - beta2) * gr * gr);
            mi[j] = m;
            vi[j] = vv;
            p[i] = (float) (pi - stepSize * m / (Math.sqrt(vv) / bc2Sqrt + eps));
        }
    }

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Floats as many as D has lanes, so one load widens into one double vector. */
    private static final VectorSpecies<Float> F = VectorSpecies.of(float.class, VectorShape.forBitSize(D.vectorBitSize() / 2));

    private static DoubleVector widen(float[] a, int i) {
        return (DoubleVector) FloatVector.fromArray(F, a, i).convertShape(VectorOperators.F2D, D, 0);
    }

    /** The values rounded to float (as a {@code (float)} cast does), kept as doubles. */
    private static DoubleVector narrowed(DoubleVector x) {
        return (DoubleVector) x.convertShape(VectorOperators.D2F, F, 0).convertShape(VectorOperators.F2D, D, 0);
    }

    private static void narrow(DoubleVector x, float[] a, int i) {
        ((FloatVector) x.convertShape(VectorOperators.D2F, F, 0)).intoArray(a, i);
    }

    @Override
    public long steps() {
        return t;
    }

    /** Live arrays for heap state; copies of the paged state (a checkpoint only reads them). */
    @Override
    public java.util.Map<String, float[]> state() {
        var out = new java.util.LinkedHashMap<String, float[]>();
        for (int i = 0; i < groups.size(); i++) {
            out.put("exp_avg/" + groups.get(i).parameter().name(), firstMoment(i));
            out.put("exp_avg_sq/" + groups.get(i).parameter().name(), secondMoment(i));
        }
        return out;
    }

    @Override
    public void restore(java.util.Map<String, float[]> state, long steps) {
        for (int i = 0; i < groups.size(); i++) {
            String name = groups.get(i).parameter().name();
            if (pages == null) {
                Optimizer.copyInto(state, "exp_avg/" + name, m[i]);
                Optimizer.copyInto(state, "exp_avg_sq/" + name, v[i]);
            } else {
                int n = groups.get(i).parameter().size();
                float[] mi = new float[n], vi = new float[n];
                Optimizer.copyInto(state, "exp_avg/" + name, mi);
                Optimizer.copyInto(state, "exp_avg_sq/" + name, vi);
                MemorySegment.copy(mi, 0, pages[i], F32, 0, n);
                MemorySegment.copy(vi, 0, pages[i], F32, 4L * n, n);
            }
        }
        this.t = steps;
    }

    /** First moment of group i: the live array on the heap, a copy of paged state. */
    public float[] firstMoment(int i) {
        if (pages == null) return m[i];
        return pages[i].asSlice(0, 4L * groups.get(i).parameter().size()).toArray(F32);
    }

    /** Second moment of group i: the live array on the heap, a copy of paged state. */
    public float[] secondMoment(int i) {
        if (pages == null) return v[i];
        int n = groups.get(i).parameter().size();
        return pages[i].asSlice(4L * n, 4L * n).toArray(F32);
    }
}
