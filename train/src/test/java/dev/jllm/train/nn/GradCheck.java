package dev.jllm.train.nn;

import java.util.Random;
import java.util.function.DoubleSupplier;

import static org.junit.jupiter.api.Assertions.fail;

/** Central finite differences in float64 against an analytic gradient. */
public final class GradCheck {
    private GradCheck() {}

    public static double[] random(Random r, int n, double scale) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = r.nextGaussian() * scale;
        return x;
    }

    /**
     * Perturbs each element of {@code x} by ±h and compares {@code (f(x+h) − f(x−h)) / 2h} with {@code grad}.
     * The tolerance is relative to the larger of the two values with an absolute floor, because float64 central
     * differences with h = 1e-5 are accurate to about 1e-9 on the O(1) functions tested here.
     */
    public static void check(String what, double[] x, double[] grad, DoubleSupplier f) {
        double h = 1e-5;
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double saved = x[i];
            x[i] = saved + h;
            double plus = f.getAsDouble();
            x[i] = saved - h;
            double minus = f.getAsDouble();
            x[i] = saved;
            double numeric = (plus - minus) / (2 * h);
            double err = Math.abs(numeric - grad[i]) / Math.max(1e-3, Math.max(Math.abs(numeric), Math.abs(grad[i])));
            worst = Math.max(worst, err);
            if (!(err < 1e-6)) {
                fail(what + "[" + i + "]: analytic " + grad[i] + " vs numeric " + numeric + " (rel err " + err + ")");
            }
        }
    }

    /** {@code Σ r·y}: a scalar whose gradient with respect to y is r. */
    public static double project(double[] y, double[] r) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += y[i] * r[i];
        return s;
    }
}
