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

    /** A low-rank adapter attached to a layer. */
    public record Lora(Parameter a, Parameter b, int rank, double scaling, Dropout dropout) {
        public Lora(Parameter a, Parameter b, int rank, double scaling) {
            this(a, b, rank, scaling, null);
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
        if (lora != null) {
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
        if (lora != null) {
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
}
