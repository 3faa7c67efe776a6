package dev.jllm.train.nn;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.train.precision.Precision;

/**
 * One projection of the model: a weight in {@code [out, in]} layout, an optional bias and an optional LoRA adapter
 * (PEFT semantics: {@code y = x·Wᵀ + b + scaling·(x·Aᵀ)·Bᵀ}, A {@code [r, in]}, B {@code [out, r]}). The layer keeps
 * no activations: backward receives the same input as forward and recomputes the small {@code x·Aᵀ}.
 *
 * <p>Under a 16-bit {@link Precision} the products read the weight's {@link CastWeight} and the adapter matrices
 * rounded to 16 bits, the input must already be 16-bit (the op producing it rounds, as autocast's ops return 16-bit
 * tensors), the output is rounded to 16 bits, and backward expects a 16-bit {@code dy}; its {@code dx} is left in
 * float32 for the caller to round once all of its contributions are summed.
 */
public final class LinearLayer {
    private final Parameter weight;
    private final Parameter bias;
    private final int in;
    private final int out;
    private Lora lora;
    private FrozenWeight frozen;
    private Precision precision = Precision.FP32;
    private CastWeight cast;

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
        if (adapter.magnitude() != null && adapter.magnitude().size() != out) {
            throw new IllegalArgumentException(weight.name() + ": DoRA magnitude of " + adapter.magnitude().size() + " values, expected " + out);
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

    /** Sets the number format of this layer's products (see {@link Precision}); FP32 drops any 16-bit weight copy. */
    public void setPrecision(Precision precision) {
        this.precision = precision;
        this.cast = precision.reduced() ? new CastWeight(weight, precision) : null;
    }

    public Precision precision() {
        return precision;
    }

    /** The float32 weight changed (an optimizer step, a merge): the 16-bit copy is rounded again before its next use. */
    public void invalidateCast() {
        if (cast != null) cast.invalidate();
    }

    /** Bytes held by the 16-bit weight copy (0 in float32, or before the first product). */
    public long castBytes() {
        return cast == null ? 0 : cast.bytes();
    }

    /** An adapter matrix as the products read it: its float32 values, or a 16-bit rounded copy (the matrices are small). */
    private float[] operand(Parameter p) {
        if (!precision.reduced()) return p.value();
        float[] r = p.value().clone();
        precision.round(r, r.length);
        return r;
    }

    /** The dropout factors for this input, or null when no dropout applies. */
    private float[] mask(float[] x, int rows) {
        Dropout d = lora.dropout();
        return d == null || !d.active() ? null : d.mask(x, rows * in);
    }

    /** The dropped-out input (a 16-bit tensor under a 16-bit precision, as dropout returns one there). */
    private float[] times(float[] x, float[] mask) {
        if (mask == null) return x;
        float[] out = new float[mask.length];
        for (int i = 0; i < out.length; i++) out[i] = x[i] * mask[i];
        precision.round(out, out.length);
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
        Gemm.gemm(false, true, rows, r, in, xl, 0, operand(lora.a()), 0, xa, 0, false);
        float s = (float) lora.scaling();
        for (int i = 0; i < xa.length; i++) xa[i] *= s;
        precision.round(xa, xa.length);
        return xa;
    }

    public void forward(float[] x, int rows, float[] y) {
        if (frozen != null || cast != null) {
            if (frozen != null) frozen.forward(y, x, rows);
            else cast.forward(y, x, rows);
            if (bias != null) Linear.addBias(y, bias.value(), rows, out);
        } else {
            Linear.forward(y, x, weight.value(), bias == null ? null : bias.value(), rows, in, out);
        }
        if (lora != null && lora.magnitude() != null) {
            doraForward(x, rows, y);
        } else if (lora != null) {
            float[] xa = scaledXa(times(x, mask(x, rows)), rows);
            Gemm.gemm(false, true, rows, out, lora.rank(), xa, 0, operand(lora.b()), 0, y, 0, true);   // y += s·xa·Bᵀ
        }
        precision.round(y, rows * out);
    }

    /** Whether {@link #backward} may write the input gradient over the input (frozen base, no DoRA, not accumulating). */
    public boolean inputGradientMayOverwriteInput() {
        return frozen != null && (lora == null || lora.magnitude() == null);
    }

    /** Accumulates into {@code dx} (may be null) and into the gradients of the trainable parameters. */
    public void backward(float[] x, int rows, float[] dy, float[] dx) {
        backward(x, rows, dy, dx, true);
    }

    /**
     * Adds the input gradient to {@code dx} when {@code accumulate}, else overwrites it (a fresh temporary needs no
     * clearing); parameter gradients always accumulate. With a frozen base, no DoRA and no {@code accumulate},
     * {@code dx} may be {@code x} itself: everything that reads x runs before the input gradient is written.
     */
    public void backward(float[] x, int rows, float[] dy, float[] dx, boolean accumulate) {
        if (dx == x && (accumulate || !inputGradientMayOverwriteInput())) {
            throw new IllegalArgumentException(weight.name() + ": the input gradient may overwrite the input only with a frozen base, without DoRA, not accumulating");
        }
        int r = 0;
        float[] mask = null, dxa = null;
        if (lora != null && lora.magnitude() == null) {
            r = lora.rank();
            float s = (float) lora.scaling();
            mask = mask(x, rows);
            float[] xl = times(x, mask);
            float[] xa = scaledXa(xl, rows);
            // y = s·(x̃·Aᵀ)·Bᵀ: dB += dyᵀ·(s·x̃Aᵀ), dxa = s·dy·B, dA += dxaᵀ·x̃, dx̃ = dxa·A (added after the base's share).
            if (lora.b().grad() != null) Gemm.gemm(true, false, out, r, rows, dy, 0, xa, 0, lora.b().grad(), 0, true);
            dxa = new float[rows * r];
            Gemm.gemm(false, false, rows, r, out, dy, 0, operand(lora.b()), 0, dxa, 0, false);
            for (int i = 0; i < dxa.length; i++) dxa[i] *= s;
            precision.round(dxa, dxa.length);
            if (lora.a().grad() != null) Gemm.gemm(true, false, r, in, rows, dxa, 0, xl, 0, lora.a().grad(), 0, true);
        }
        if (frozen != null) {
            if (dx != null) frozen.inputGradient(dx, dy, rows, accumulate);
            if (bias != null && bias.grad() != null) Linear.biasGradient(bias.grad(), dy, rows, out);
        } else if (cast != null) {
            if (dx != null) cast.inputGradient(dx, dy, rows, accumulate);
            Linear.backward(null, weight.grad(), bias == null ? null : bias.grad(), dy, x, null, rows, in, out, accumulate);
        } else {
            Linear.backward(dx, weight.grad(), bias == null ? null : bias.grad(), dy, x, weight.value(), rows, in, out, accumulate);
        }
        if (lora != null && lora.magnitude() != null) {
            doraBackward(x, rows, dy, dx);
        } else if (lora != null) {
            if (dx != null) {
                if (mask == null) {
                    Gemm.gemm(false, false, rows, in, r, dxa, 0, operand(lora.a()), 0, dx, 0, true);
                } else {
                    float[] dxl = new float[rows * in];
                    Gemm.gemm(false, false, rows, in, r, dxa, 0, operand(lora.a()), 0, dxl, 0, false);
                    for (int i = 0; i < rows * in; i++) dx[i] += dxl[i] * mask[i];
                }
            }
        }
    }

    /** The base weight DoRA normalizes: the float32 weight, or a frozen (4-/8-bit) weight dequantized, as PEFT's dequantize_module_weight. */
    private float[] baseWeight() {
        return frozen != null ? frozen.dequantized() : weight.value();
    }

    /** {@code ‖W + s·B·A‖} of every output row: PEFT's {@code get_weight_norm}, for the current A and B. */
    public float[] doraWeightNorm() {
        return rowNorms(baseWeight());
    }

    private float[] rowNorms(float[] w) {
        float[] delta = new float[out * in];
        Gemm.gemm(false, false, out, in, lora.rank(), lora.b().value(), 0, lora.a().value(), 0, delta, 0, false);
        float s = (float) lora.scaling();
        float[] norm = new float[out];
        for (int o = 0; o < out; o++) {
            double sum = 0;
            for (int c = 0; c < in; c++) {
                float v = w[o * in + c] + s * delta[o * in + c];
                sum += (double) v * v;
            }
            norm[o] = (float) Math.sqrt(sum);
        }
        return norm;
    }

    /** What one DoRA pass needs: the dropped-out input x̃, s·x̃·Aᵀ, the base term u, the LoRA term v = s·x̃AᵀBᵀ, and m/‖W + sBA‖. */
    private record DoraTerms(float[] mask, float[] xl, float[] xa, float[] u, float[] v, float[] w, float[] factor, float[] norm) {}

    /**
     * PEFT's {@code DoraLinearLayer.forward} terms. The base term u is {@code x̃·Wᵀ}; PEFT takes it from the base output
     * minus the bias when no dropout applies to a full-precision layer, which is the same product. A quantized base
     * (bitsandbytes layers in PEFT) always multiplies the dequantized weight.
     */
    private DoraTerms doraTerms(float[] x, int rows, float[] baseOut) {
        float[] mask = mask(x, rows);
        float[] xl = times(x, mask);
        float[] w = baseWeight();
        float[] norm = rowNorms(w);
        float[] m = lora.magnitude().value();
        float[] factor = new float[out];
        for (int o = 0; o < out; o++) factor[o] = m[o] / norm[o];
        float[] xa = scaledXa(xl, rows);
        float[] v = new float[rows * out];
        Gemm.gemm(false, true, rows, out, lora.rank(), xa, 0, operand(lora.b()), 0, v, 0, false);
        float[] u;
        if (baseOut != null && mask == null && frozen == null) {
            u = baseOut.clone();
            if (bias != null) for (int i = 0; i < rows; i++) for (int o = 0; o < out; o++) u[i * out + o] -= bias.value()[o];
        } else {
            u = new float[rows * out];
            // the base product as forward computes it: on the 16-bit copy under a 16-bit precision
            if (cast != null && frozen == null) cast.forward(u, xl, rows);
            else Gemm.gemm(false, true, rows, out, in, xl, 0, w, 0, u, 0, false);
        }
        return new DoraTerms(mask, xl, xa, u, v, w, factor, norm);
    }

    /** {@code y += (m/n − 1)·u + (m/n)·v}, per output column. */
    private void doraForward(float[] x, int rows, float[] y) {
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
    private void doraBackward(float[] x, int rows, float[] dy, float[] dx) {
        DoraTerms t = doraTerms(x, rows, null);
        int r = lora.rank();
        float s = (float) lora.scaling();
        float[] dm = lora.magnitude().grad();
        if (dm != null) {
            for (int o = 0; o < out; o++) {
                double sum = 0;
                for (int i = 0; i < rows; i++) sum += (double) dy[i * out + o] * (t.u()[i * out + o] + t.v()[i * out + o]);
                dm[o] += (float) (sum / t.norm()[o]);
            }
        }
        float[] factorDy = new float[rows * out], baseDy = new float[rows * out];
        for (int i = 0; i < rows; i++) {
            for (int o = 0; o < out; o++) {
                factorDy[i * out + o] = t.factor()[o] * dy[i * out + o];
                baseDy[i * out + o] = (t.factor()[o] - 1) * dy[i * out + o];
            }
        }
        // the LoRA term (m/n)·s·(x̃Aᵀ)Bᵀ: dB += ((m/n)·dy)ᵀ·(s·x̃Aᵀ), dxa = s·((m/n)·dy)·B, dA += dxaᵀ·x̃
        if (lora.b().grad() != null) Gemm.gemm(true, false, out, r, rows, factorDy, 0, t.xa(), 0, lora.b().grad(), 0, true);
        float[] dxa = new float[rows * r];
        Gemm.gemm(false, false, rows, r, out, factorDy, 0, operand(lora.b()), 0, dxa, 0, false);
        for (int i = 0; i < dxa.length; i++) dxa[i] *= s;
        precision.round(dxa, dxa.length);
        if (lora.a().grad() != null) Gemm.gemm(true, false, r, in, rows, dxa, 0, t.xl(), 0, lora.a().grad(), 0, true);
        if (dx != null) {
            float[] dxl = new float[rows * in];
            Gemm.gemm(false, false, rows, in, r, dxa, 0, operand(lora.a()), 0, dxl, 0, false);
            if (cast != null && frozen == null) cast.inputGradient(dxl, baseDy, rows, true);
            else Gemm.gemm(false, false, rows, in, out, baseDy, 0, t.w(), 0, dxl, 0, true);
            if (t.mask() == null) for (int i = 0; i < dxl.length; i++) dx[i] += dxl[i];
            else for (int i = 0; i < dxl.length; i++) dx[i] += dxl[i] * t.mask()[i];
        }
    }
}
