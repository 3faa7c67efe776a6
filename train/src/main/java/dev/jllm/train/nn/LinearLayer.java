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
    public record Lora(Parameter a, Parameter b, int rank, double scaling) {}

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
     * Replaces the weight in the products by a frozen representation (QLoRA's 4-bit base). The weight parameter
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
            double[] xa = new double[rows * r];
            Matmul.nt(xa, x, lora.a().value(), rows, r, in, false);
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
            double[] xa = new double[rows * r];
            Matmul.nt(xa, x, lora.a().value(), rows, r, in, false);
            double[] scaledDy = new double[rows * out];
            for (int i = 0; i < rows * out; i++) scaledDy[i] = s * dy[i];
            if (lora.b().grad() != null) Matmul.tn(lora.b().grad(), scaledDy, xa, out, r, rows, true);
            double[] dxa = new double[rows * r];
            Matmul.nn(dxa, scaledDy, lora.b().value(), rows, r, out, false);
            if (lora.a().grad() != null) Matmul.tn(lora.a().grad(), dxa, x, r, in, rows, true);
            if (dx != null) Matmul.nn(dx, dxa, lora.a().value(), rows, in, r, true);
        }
    }
}
