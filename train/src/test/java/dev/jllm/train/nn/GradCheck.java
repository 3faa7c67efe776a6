package dev.jllm.train.nn;

import java.util.Random;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Central finite differences of a float32 engine against its analytic gradient.
 *
 * <p>Why these numbers: the functions checked are O(1) scalars computed in float32 and summed in double, so one
 * evaluation carries a rounding noise of about 1e-7 relative, and a plain central difference would have to trade
 * that noise (which grows as 1/h) against its truncation error {@code h²·f‴/6} (which on a whole model, with
 * softmaxes in a chain, reaches a few percent at h = 1e-2). Richardson extrapolation removes the h² term:
 * {@code (4·D(h) − D(2h)) / 3} is accurate to O(h⁴), so a large step ({@value #H}, relative to the element, at least
 * {@value #H} absolute) keeps the noise near 1e-5 of the function's scale and the truncation negligible. Each
 * element must agree within {@value #TOLERANCE} relative to the larger of the two values, floored at
 * {@value #FLOOR} of the tensor's largest gradient so that near-zero entries are judged against the tensor's scale,
 * plus the quotient's own rounding noise: two float32 roundings of the function value, {@code 2·2⁻²⁴·|f|}, divided
 * by the step (about 5e-5 for a whole tiny model's loss of 4.5; per-op checks on O(1) values sit far above it). A
 * wrong formula (a missing term, a wrong sign or index, a transposed
 * product) moves whole entries by O(100%), well above that tolerance. Each quotient divides by the float difference
 * actually applied, so rounding x ± h to float32 does not bias it.
 */
public final class GradCheck {
    static final double H = 1e-2;
    static final double TOLERANCE = 1e-2;
    static final double FLOOR = 2e-2;

    private GradCheck() {}

    public static float[] random(Random r, int n, double scale) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (r.nextGaussian() * scale);
        return x;
    }

    /** Perturbs each element of {@code x} and compares the extrapolated difference quotient with {@code grad}. */
    public static void check(String what, float[] x, float[] grad, DoubleSupplier f) {
        double largest = 0;
        for (float g : grad) largest = Math.max(largest, Math.abs(g));
        double floor = Math.max(1e-6, FLOOR * largest);
        double valueNoise = 2 * Math.ulp(1f) / 2 * Math.max(1, Math.abs(f.getAsDouble()));
        for (int i = 0; i < x.length; i++) {
            double h = H * Math.max(1, Math.abs(x[i]));
            double d1 = quotient(x, i, h, f), d2 = quotient(x, i, 2 * h, f);
            double numeric = (4 * d1 - d2) / 3;
            double scale = Math.max(floor, Math.max(Math.abs(numeric), Math.abs(grad[i])));
            double diff = Math.abs(numeric - grad[i]);
            if (!(diff <= TOLERANCE * scale + valueNoise / h)) {
                fail(what + "[" + i + "]: analytic " + grad[i] + " vs numeric " + numeric + " (rel err " + diff / scale
                        + ", noise allowance " + valueNoise / h + ")");
            }
        }
    }

    /** {@code (f(x + h) − f(x − h)) / (x₊ − x₋)} for element i, with x₊, x₋ the float32 values actually used. */
    private static double quotient(float[] x, int i, double h, DoubleSupplier f) {
        float saved = x[i];
        float xp = (float) (saved + h), xm = (float) (saved - h);
        x[i] = xp;
        double plus = f.getAsDouble();
        x[i] = xm;
        double minus = f.getAsDouble();
        x[i] = saved;
        return (plus - minus) / ((double) xp - xm);
    }

    /** {@code Σ r·y} in double: a scalar whose gradient with respect to y is r. */
    public static double project(float[] y, float[] r) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * r[i];
        return s;
    }
}
