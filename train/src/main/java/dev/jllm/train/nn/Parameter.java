package dev.jllm.train.nn;

import java.util.Arrays;

/**
 * A named tensor the model owns, with its gradient buffer while it is trained: float32 master values and float32
 * gradients, as PyTorch keeps them in fp32 training (reductions over them accumulate in double where they are used).
 */
public final class Parameter {
    private final String name;
    private final int[] shape;
    /** Null while a deferred parameter has not been asked for its values. */
    private float[] value;
    private final java.util.function.Supplier<float[]> deferred;
    private final int size;
    private float[] grad;

    public Parameter(String name, int[] shape, float[] value) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != value.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " needs " + n + " values, got " + value.length);
        }
        this.name = name;
        this.shape = shape.clone();
        this.value = value;
        this.deferred = null;
        this.size = value.length;
    }

    private Parameter(String name, int[] shape, java.util.function.Supplier<float[]> values) {
        long n = 1;
        for (int d : shape) n *= d;
        this.name = name;
        this.shape = shape.clone();
        this.size = Math.toIntExact(n);
        this.deferred = values;
    }

    /**
     * A frozen tensor whose values live in another representation (a 4-bit or bf16 base weight that computes its
     * own products): {@link #value} makes them only when something asks (merging an adapter, saving a dense copy),
     * so a quantized model never holds a float32 copy of its weights.
     */
    public static Parameter deferred(String name, int[] shape, java.util.function.Supplier<float[]> values) {
        return new Parameter(name, shape, values);
    }

    public static Parameter zeros(String name, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return new Parameter(name, shape, new float[Math.toIntExact(n)]);
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return size;
    }

    /** The live values; optimizers update them in place. */
    public float[] value() {
        if (value == null) {
            float[] made = deferred.get();
            if (made.length != size) throw new IllegalStateException(name + ": deferred values have " + made.length + " elements, expected " + size);
            value = made;
        }
        return value;
    }

    /** The accumulated gradient, or null when the parameter is frozen. */
    public float[] grad() {
        return grad;
    }

    public boolean trainable() {
        return grad != null;
    }

    /** Starts (or stops) accumulating a gradient for this parameter. */
    public void setTrainable(boolean trainable) {
        if (trainable && grad == null) grad = new float[size];
        if (!trainable) grad = null;
    }

    public void zeroGrad() {
        if (grad != null) Arrays.fill(grad, 0f);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
