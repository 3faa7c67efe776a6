package dev.jllm.train.nn;

import java.util.Arrays;

/**
 * A named tensor the model owns, with its gradient buffer while it is trained: float32 master values and float32
 * gradients, as PyTorch keeps them in fp32 training (reductions over them accumulate in double where they are used).
 */
public final class Parameter {
    private final String name;
    private final int[] shape;
    private final float[] value;
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
        return value.length;
    }

    /** The live values; optimizers update them in place. */
    public float[] value() {
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
        if (trainable && grad == null) grad = new float[value.length];
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
