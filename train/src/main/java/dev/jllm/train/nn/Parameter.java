package dev.jllm.train.nn;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A named tensor the model owns, with its gradient buffer while it is trained: float32 master values and float32
 * gradients, as PyTorch keeps them in fp32 training (reductions over them accumulate in double where they are used).
 *
 * <p>A frozen weight that lives in another representation (a 4-bit matrix) keeps no dense values: it is
 * {@linkplain #deferred deferred}, and its float32 values are produced only if something asks for them (merging an
 * adapter into it, saving it dense), so a QLoRA model stays 4-bit in memory.
 */
public final class Parameter {
    private final String name;
    private final int[] shape;
    private final int size;
    private float[] value;
    private Supplier<float[]> deferred;
    private boolean trainable;
    private float[] grad;

    public Parameter(String name, int[] shape, float[] value) {
        this(name, shape, value.length);
        this.value = value;
    }

    private Parameter(String name, int[] shape, int given) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != given) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " needs " + n + " values, got " + given);
        }
        this.name = name;
        this.shape = shape.clone();
        this.size = given;
    }

    /** A parameter whose values are computed on first use by {@code values} (which must return {@code shape}'s count). */
    public static Parameter deferred(String name, int[] shape, Supplier<float[]> values) {
        long n = 1;
        for (int d : shape) n *= d;
        Parameter p = new Parameter(name, shape, Math.toIntExact(n));
        p.deferred = values;
        return p;
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

    /** The live values; optimizers update them in place. A deferred parameter materializes (and keeps) them now. */
    public float[] value() {
        if (value == null) {
            float[] v = deferred.get();
            if (v.length != size) throw new IllegalStateException(name + ": deferred values have " + v.length + " elements, expected " + size);
            value = v;
            deferred = null;
        }
        return value;
    }

    /** Whether the dense values are in memory (false for a deferred parameter nobody has read yet). */
    public boolean resident() {
        return value != null;
    }

    /**
     * Drops the dense values; {@code values} recomputes them if they are asked for again (a weight just quantized
     * to 4 bits, whose products read the packed codes).
     */
    public void defer(Supplier<float[]> values) {
        if (trainable) throw new IllegalStateException(name + ": a trained parameter cannot give up its values");
        this.value = null;
        this.deferred = values;
    }

    /**
     * The accumulated gradient, or null when the parameter is frozen. The buffer is allocated on first use, so a
     * model whose base is frozen right after loading (QLoRA) never holds gradients for it.
     */
    public float[] grad() {
        if (!trainable) return null;
        if (grad == null) grad = new float[size];
        return grad;
    }

    public boolean trainable() {
        return trainable;
    }

    /** Starts (or stops) accumulating a gradient for this parameter. */
    public void setTrainable(boolean trainable) {
        this.trainable = trainable;
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
