package dev.jllm.train.nn;

/**
 * One projection of the model: a weight in {@code [out, in]} layout, an optional bias and an optional LoRA adapter
 * (PEFT semantics: {@code y = x·Wᵀ + b + scaling·(x·Aᵀ)·Bᵀ}, A {@code [r, in]}, B {@code [out, r]}). The layer keeps
 * no activations: backward receives the same input as forward and recomputes the small {@code x·Aᵀ}.
 */
public final class LinearLayer {
    private final Parameter weight;
    private final Parameter bias;
    private final int in;
    private final int out;
    private Lora lora;
    private FrozenWeight frozen;

    /**
     * A low-rank adapter attached to a layer; with a {@code magnitude} ({@code [out]}) it is PEFT's DoRA
     * ({@code use_dora}): the adapted weight {@code W + s·B·A} is rescaled row by row to {@code magnitude / ‖W + s·B·A‖}
     * (the row norm is recomputed every pass and treated as a constant: no gradient flows through it).
     */
    public record Lora(Parameter a, Parameter b, int rank, double scaling, Dropout dropout, Parameter magnitude) {
        public Lora(Parameter a, Parameter b, int rank, double scaling, Dropout dropout) {
            this(a, b, rank, scaling, dropout, null);
        }

        public Lora(Parameter a, Parameter b, int rank, double scaling) {
            this(a, b, rank, scaling, null, null);
        }

        /** A, B and the DoRA magnitude when there is one. */
        public java.util.List<Parameter> parameters() {
            return magnitude == null ? java.util.List.of(a, b) : java.util.List.of(a, b, magnitude);
        }
    }

    /**
     * PEFT's {@code lora_dropout} on the adapter's input, while {@code active} (training). The mask is a pure
     * function of the seed and the input's values, so the backward pass and a gradient-checkpointing recompute see
     * the forward pass's mask without storing it, and every new micro-batch gets a new one.
     */
    public static final class Dropout {
        private final double p;
        private final long seed;
        private boolean active = true;

        public Dropout(double p, long seed) {
            if (!(p > 0 && p < 1)) throw new IllegalArgumentException("dropout probability must be in (0, 1), got " + p);
            this.p = p;
            this.seed = seed;
        }

        public double p() {
            return p;
        }

        public void setActive(boolean active) {
            this.active = active;
        }

        public boolean active() {
            return active;
        }

        /** The factor of each element: 0 with probability p, else 1/(1-p). */
        double[] mask(double[] x, int n) {
            long h = seed;
            for (int i = 0; i < n; i++) h = h * 0x9E3779B97F4A7C15L + Double.doubleToLongBits(x[i]);
            var random = new java.util.SplittableRandom(h);
            double keep = 1 / (1 - p);
            double[] m = new double[n];
            for (int i = 0; i < n; i++) m[i] = random.nextDouble() < p ? 0 : keep;
            return m;
        }
    }

    public LinearLayer(Parameter weight, Parameter bias) {
        int[] shape = weight.shape();
        if (shape.length != 2) throw new IllegalArgumentException(weight.name() + ": a linear weight must be 2-D");
        this.weight = weight;
        this.bias = bias;
        this.out = shape[0];
        this.in = shape[1];
        if (bias != null && bias.size() != out) throw new IllegalArgumentException(bias.name() + ": bias size " + bias.size() + " != " + out);
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public Lora lora() {
        return lora;
    }

    public int in() {
        return in;
    }

    public int out() {
        return out;
    }

    public void attach(Lora adapter) {
        if (adapter.a().shape()[0] != adapter.rank() || adapter.a().shape()[1] != in
                || adapter.b().shape()[0] != out || adapter.b().shape()[1] != adapter.rank()) {
            throw new IllegalArgumentException(weight.name() + ": LoRA shapes A" + java.util.Arrays.toString(adapter.a().shape())
                    + " B" + java.util.Arrays.toString(adapter.b().shape()) + " do not fit [" + out + ", " + in + "]");
        }
        if (adapter.magnitude() != null && adapter.magnitude().size() != out) {
            throw new IllegalArgumentException(weight.name() + ": DoRA magnitude of " + adapter.magnitude().size() + " values, expected " + out);
        }
        this.lora = adapter;
    }

    /**
     * Replaces the weight in the products by a frozen representation (QLoRA's 4-bit base; null returns to the float64
     * weight, e.g. after merging an adapter into it). The weight parameter
     * stops training; its values stay for code that reads them (merging, saving).
     */
    public void freezeAs(FrozenWeight weight) {
        this.frozen = weight;
        this.weight.setTrainable(false);
    }

    /** The frozen representation, or null when the float64 weight is used. */
    public FrozenWeight frozen() {
        return frozen;
    }

    /** The dropout factors for this input, or null when no dropout applies. */
    private double[] mask(double[] x, int rows) {
        Dropout d = lora.dropout();
        return d == null || !d.active() ? null : d.mask(x, rows * in);
    }

    private static double[] times(double[] x, double[] mask) {
        if (mask == null) return x;
        double[] out = new double[mask.length];
        for (int i = 0; i < out.length; i++) out[i] = x[i] * mask[i];
        return out;
    }

    /** Removes the adapter (after merging it, or to run the base model alone). */
    public void detach() {
        this.lora = null;
    }

    public void forward(double[] x, int rows, double[] y) {
        if (frozen != null) {
            frozen.forward(y, x, rows);
            if (bias != null) for (int r = 0; r < rows; r++) for (int j = 0; j < out; j++) y[r * out + j] += bias.value()[j];
        } else {
            Linear.forward(y, x, weight.value(), bias == null ? null : bias.value(), rows, in, out);
        }
        if (lora != null && lora.magnitude() != null) {
            doraForward(x, rows, y);
        } else if (lora != null) {
            int r = lora.rank();
            double[] mask = mask(x, rows);
            double[] xl = times(x, mask);
            double[] xa = new double[rows * r];
            Matmul.nt(xa, xl, lora.a().value(), rows, r, in, false);
            double[] delta = new double[rows * out];
            Matmul.nt(delta, xa, lora.b().value(), rows, out, r, false);
            double s = lora.scaling();
            for (int i = 0; i < rows * out; i++) y[i] += s * delta[i];
        }
    }

    /** Accumulates into {@code dx} (may be null) and into the gradients of the trainable parameters. */
    public void backward(double[] x, int rows, double[] dy, double[] dx) {
        if (frozen != null) {
            if (dx != null) frozen.inputGradient(dx, dy, rows);
            Linear.backward(null, null, bias == null ? null : bias.grad(), dy, x, weight.value(), rows, in, out);
        } else {
            Linear.backward(dx, weight.grad(), bias == null ? null : bias.grad(), dy, x, weight.value(), rows, in, out);
        }
        if (lora != null && lora.magnitude() != null) {
            doraBackward(x, rows, dy, dx);
        } else if (lora != null) {
            int r = lora.rank();
            double s = lora.scaling();
            double[] mask = mask(x, rows);
            double[] xl = times(x, mask);
            double[] xa = new double[rows * r];
            Matmul.nt(xa, xl, lora.a().value(), rows, r, in, false);
            double[] scaledDy = new double[rows * out];
            for (int i = 0; i < rows * out; i++) scaledDy[i] = s * dy[i];
            if (lora.b().grad() != null) Matmul.tn(lora.b().grad(), scaledDy, xa, out, r, rows, true);
            double[] dxa = new double[rows * r];
            Matmul.nn(dxa, scaledDy, lora.b().value(), rows, r, out, false);
            if (lora.a().grad() != null) Matmul.tn(lora.a().grad(), dxa, xl, r, in, rows, true);
            if (dx != null) {
                if (mask == null) {
                    Matmul.nn(dx, dxa, lora.a().value(), rows, in, r, true);
                } else {
                    double[] dxl = new double[rows * in];
                    Matmul.nn(dxl, dxa, lora.a().value(), rows, in, r, false);
                    for (int i = 0; i < rows * in; i++) dx[i] += dxl[i] * mask[i];
                }
            }
        }
    }

    /** The base weight DoRA normalizes: the float64 weight, or a frozen (4-/8-bit) weight dequantized, as PEFT's dequantize_module_weight. */
    private double[] baseWeight() {
        return frozen != null ? frozen.dequantized() : weight.value();
    }

    /** {@code ‖W + s·B·A‖} of every output row: PEFT's {@code get_weight_norm}, for the current A and B. */
    public double[] doraWeightNorm() {
        return rowNorms(baseWeight(), lora);
    }

    static double[] rowNorms(double[] w, Lora lora) {
        int out = lora.b().shape()[0], in = lora.a().shape()[1];
        double[] delta = new double[out * in];
        Matmul.nn(delta, lora.b().value(), lora.a().value(), out, in, lora.rank(), false);
        double s = lora.scaling();
        double[] norm = new double[out];
        for (int o = 0; o < out; o++) {
            double sum = 0;
            for (int c = 0; c < in; c++) {
                double v = w[o * in + c] + s * delta[o * in + c];
                sum += v * v;
            }
            norm[o] = Math.sqrt(sum);
        }
        return norm;
    }

    /** What one DoRA pass needs: the dropped-out input, x̃·Aᵀ, the base term u and the LoRA term v = s·x̃AᵀBᵀ, and m/‖W + sBA‖. */
    private record DoraTerms(double[] mask, double[] xl, double[] xa, double[] u, double[] v, double[] w, double[] factor, double[] norm) {}

    /**
     * PEFT's {@code DoraLinearLayer.forward} terms. The base term u is {@code x̃·Wᵀ}; PEFT takes it from the base output
     * minus the bias when no dropout applies to a full-precision layer, which is the same product. A quantized base
     * (bitsandbytes layers in PEFT) always multiplies the dequantized weight.
     */
    private DoraTerms doraTerms(double[] x, int rows, double[] baseOut) {
        int r = lora.rank();
        double[] mask = mask(x, rows);
        double[] xl = times(x, mask);
        double[] w = baseWeight();
        double[] norm = rowNorms(w, lora);
        double[] m = lora.magnitude().value();
        double[] factor = new double[out];
        for (int o = 0; o < out; o++) factor[o] = m[o] / norm[o];
        double[] xa = new double[rows * r];
        Matmul.nt(xa, xl, lora.a().value(), rows, r, in, false);
        double[] v = new double[rows * out];
        Matmul.nt(v, xa, lora.b().value(), rows, out, r, false);
        double s = lora.scaling();
        for (int i = 0; i < v.length; i++) v[i] *= s;
        double[] u;
        if (baseOut != null && mask == null && frozen == null) {
            u = baseOut.clone();
            if (bias != null) for (int i = 0; i < rows; i++) for (int o = 0; o < out; o++) u[i * out + o] -= bias.value()[o];
        } else {
            u = new double[rows * out];
            Matmul.nt(u, xl, w, rows, out, in, false);
        }
        return new DoraTerms(mask, xl, xa, u, v, w, factor, norm);
    }

    /** {@code y += (m/n − 1)·u + (m/n)·v}, per output column. */
    private void doraForward(double[] x, int rows, double[] y) {
        DoraTerms t = doraTerms(x, rows, y);
        for (int i = 0; i < rows; i++) {
            for (int o = 0; o < out; o++) {
                int k = i * out + o;
                y[k] += (t.factor()[o] - 1) * t.u()[k] + t.factor()[o] * t.v()[k];
            }
        }
    }

    /**
     * Gradients of the DoRA terms (the base path is done by the caller): {@code dm += Σ dy·(u + v)/n},
     * the LoRA matrices see {@code (m/n)·dy}, and the input gets {@code ((m/n − 1)·dy)·W} through the base term.
     */
    private void doraBackward(double[] x, int rows, double[] dy, double[] dx) {
        DoraTerms t = doraTerms(x, rows, null);
        int r = lora.rank();
        double s = lora.scaling();
        double[] dm = lora.magnitude().grad();
        if (dm != null) {
            for (int i = 0; i < rows; i++) {
                for (int o = 0; o < out; o++) dm[o] += dy[i * out + o] * (t.u()[i * out + o] + t.v()[i * out + o]) / t.norm()[o];
            }
        }
        double[] scaledDy = new double[rows * out], baseDy = new double[rows * out];
        for (int i = 0; i < rows; i++) {
            for (int o = 0; o < out; o++) {
                scaledDy[i * out + o] = s * t.factor()[o] * dy[i * out + o];
                baseDy[i * out + o] = (t.factor()[o] - 1) * dy[i * out + o];
            }
        }
        if (lora.b().grad() != null) Matmul.tn(lora.b().grad(), scaledDy, t.xa(), out, r, rows, true);
        double[] dxa = new double[rows * r];
        Matmul.nn(dxa, scaledDy, lora.b().value(), rows, r, out, false);
        if (lora.a().grad() != null) Matmul.tn(lora.a().grad(), dxa, t.xl(), r, in, rows, true);
        if (dx != null) {
            double[] dxl = new double[rows * in];
            Matmul.nn(dxl, dxa, lora.a().value(), rows, in, r, false);
            Matmul.nn(dxl, baseDy, t.w(), rows, in, out, true);
            if (t.mask() == null) for (int i = 0; i < dxl.length; i++) dx[i] += dxl[i];
            else for (int i = 0; i < dxl.length; i++) dx[i] += dxl[i] * t.mask()[i];
        }
    }
}
