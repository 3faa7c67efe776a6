package dev.jllm.train;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Array comparisons for the float32 engine: JUnit has no overload for float arrays with a double tolerance, nor for
 * a float64 expectation against float32 values. Imported next to JUnit's {@code assertArrayEquals}, these overloads
 * join its own.
 */
public final class FloatAsserts {
    private FloatAsserts() {}

    public static void assertArrayEquals(float[] expected, float[] actual, double tolerance) {
        assertArrayEquals(expected, actual, tolerance, "");
    }

    public static void assertArrayEquals(float[] expected, float[] actual, double tolerance, String message) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) e[i] = expected[i];
        assertArrayEquals(e, actual, tolerance, message);
    }

    public static void assertArrayEquals(double[] expected, float[] actual, double tolerance) {
        assertArrayEquals(expected, actual, tolerance, "");
    }

    public static void assertArrayEquals(double[] expected, float[] actual, double tolerance, String message) {
        if (expected.length != actual.length) fail(message + ": length " + actual.length + ", expected " + expected.length);
        for (int i = 0; i < expected.length; i++) {
            boolean same = Double.compare(expected[i], actual[i]) == 0;
            if (!same && !(Math.abs(expected[i] - actual[i]) <= tolerance)) {
                fail(message + " [" + i + "]: expected " + expected[i] + " but was " + actual[i] + " (tolerance " + tolerance + ")");
            }
        }
    }

    /** The values rounded to float32. */
    public static float[] floats(double... values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
        return f;
    }
}
