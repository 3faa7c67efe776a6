package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;

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
        float[] mask(float[] x, int n) {
            long h = seed;
            for (int i = 0; i < n; i++) h = h * 0x9E3779B97F4A7C15L + Float.floatToRawIntBits(x[i]);
            var random = new java.util.SplittableRandom(h);
            float keep = (float) (1 / (1 - p));
            float[] m = new float[n];
            for (int i = 0; i < n; i++) m[i] = random.nextDouble() < p ? 0f : keep;
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
     * Replaces the weight in the products by a frozen representation (QLoRA's 4-bit base; null returns to the float32
     * weight, e.g. after merging an adapter into it). The weight parameter stops training.
     */
    public void freezeAs(FrozenWeight weight) {
        this.frozen = weight;
        this.weight.setTrainable(false);
    }

    /** The frozen representation, or null when the float32 weight is used. */
    public FrozenWeight frozen() {
        return frozen;
    }

    /** The dropout factors for this input, or null when no dropout applies. */
    private float[] mask(float[] x, int rows) {
        Dropout d = lora.dropout();
        return d == null || !d.active() ? null : d.mask(x, rows * in);
    }

    private static float[] times(float[] x, float[] mask) {
        if (mask == null) return x;
        float[] out = new float[mask.length];
        for (int i = 0; i < out.length; i++) out[i] = x[i] * mask[i];
        return out;
    }

    /** Removes the adapter (after merging it, or to run the base model alone). */
    public void detach() {
        this.lora = null;
    }

    /** {@code s·(x̃·Aᵀ)} for the adapter's (dropped-out) input x̃: the small {@code [rows, r]} product both passes need. */
    private float[] scaledXa(float[] xl, int rows) {
        int r = lora.rank();
        float[] xa = new float[rows * r];
        Gemm.gemm(false, true, rows, r, in, xl, 0, lora.a().value(), 0, xa, 0, false);
        float s = (float) lora.scaling();
        for (int i = 0; i < xa.length; i++) xa[i] *= s;
        return xa;
    }

    public void forward(float[] x, int rows, float[] y) {
        if (frozen != null) {
            frozen.forward(y, x, rows);
            if (bias != null) Linear.addBias(y, bias.value(), rows, out);
        } else {
            Linear.forward(y, x, weight.value(), bias == null ? null : bias.value(), rows, in, out);
        }
        if (lora != null) {
            float[] xa = scaledXa(times(x, mask(x, rows)), rows);
            Gemm.gemm(false, true, rows, out, lora.rank(), xa, 0, lora.b().value(), 0, y, 0, true);   // y += s·xa·Bᵀ
        }
    }

    /** Accumulates into {@code dx} (may be null) and into the gradients of the trainable parameters. */
    public void backward(float[] x, int rows, float[] dy, float[] dx) {
        backward(x, rows, dy, dx, true);
    }

    /**
     * Adds the input gradient to {@code dx} when {@code accumulate}, else overwrites it (a fresh temporary needs no
     * clearing); parameter gradients always accumulate.
     */
    public void backward(float[] x, int rows, float[] dy, float[] dx, boolean accumulate) {
        if (frozen != null) {
            if (dx != null) frozen.inputGradient(dx, dy, rows, accumulate);
            if (bias != null && bias.grad() != null) Linear.biasGradient(bias.grad(), dy, rows, out);
        } else {
            Linear.backward(dx, weight.grad(), bias == null ? null : bias.grad(), dy, x, weight.value(), rows, in, out, accumulate);
        }
        if (lora != null) {
            int r = lora.rank();
            float s = (float) lora.scaling();
            float[] mask = mask(x, rows);
            float[] xl = times(x, mask);
            float[] xa = scaledXa(xl, rows);
            // y = s·(x̃·Aᵀ)·Bᵀ: dB += dyᵀ·(s·x̃Aᵀ), dxa = s·dy·B, dA += dxaᵀ·x̃, dx̃ = dxa·A.
            if (lora.b().grad() != null) Gemm.gemm(true, false, out, r, rows, dy, 0, xa, 0, lora.b().grad(), 0, true);
            float[] dxa = new float[rows * r];
            Gemm.gemm(false, false, rows, r, out, dy, 0, lora.b().value(), 0, dxa, 0, false);
            for (int i = 0; i < dxa.length; i++) dxa[i] *= s;
            if (lora.a().grad() != null) Gemm.gemm(true, false, r, in, rows, dxa, 0, xl, 0, lora.a().grad(), 0, true);
            if (dx != null) {
                if (mask == null) {
                    Gemm.gemm(false, false, rows, in, r, dxa, 0, lora.a().value(), 0, dx, 0, true);
                } else {
                    float[] dxl = new float[rows * in];
                    Gemm.gemm(false, false, rows, in, r, dxa, 0, lora.a().value(), 0, dxl, 0, false);
                    for (int i = 0; i < rows * in; i++) dx[i] += dxl[i] * mask[i];
                }
            }
        }
    }
}
