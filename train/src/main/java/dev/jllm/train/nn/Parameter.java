package dev.jllm.train.nn;

import java.util.Arrays;

/**
 * A named tensor the model owns, with its gradient buffer while it is trained. Values are float64 so that the
 * same code serves finite-difference gradient checks and real runs; they are narrowed to float32 only when saved.
 */
public final class Parameter {
    private final String name;
    private final int[] shape;
    private final double[] value;
    private double[] grad;

    public Parameter(String name, int[] shape, double[] value) {
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
        return new Parameter(name, shape, new double[Math.toIntExact(n)]);
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
    public double[] value() {
        return value;
    }

    /** The accumulated gradient, or null when the parameter is frozen. */
    public double[] grad() {
        return grad;
    }

    public boolean trainable() {
        return grad != null;
    }

    /** Starts (or stops) accumulating a gradient for this parameter. */
    public void setTrainable(boolean trainable) {
        if (trainable && grad == null) grad = new double[value.length];
        if (!trainable) grad = null;
    }

    public void zeroGrad() {
        if (grad != null) Arrays.fill(grad, 0.0);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape);
    }
}
