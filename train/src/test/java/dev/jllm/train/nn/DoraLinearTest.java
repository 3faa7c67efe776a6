package dev.jllm.train.nn;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.DoubleSupplier;

import static dev.jllm.train.nn.GradCheck.check;
import static dev.jllm.train.nn.GradCheck.project;
import static dev.jllm.train.nn.GradCheck.random;
import static org.junit.jupiter.api.Assertions.*;

/** DoRA (PEFT's use_dora) on one layer: the forward formula, PEFT's gradients with the detached norm, dropout. */
class DoraLinearTest {
    private static final int ROWS = 4, IN = 7, OUT = 5, RANK = 2;
    private static final double S = 1.5;
    private final Random rnd = new Random(3);

    private record Setup(LinearLayer layer, Parameter a, Parameter b, Parameter m, float[] w, float[] bias) {}

    private Setup setup(LinearLayer.Dropout dropout, boolean withBias) {
        float[] w = random(rnd, OUT * IN, 1);
        Parameter weight = new Parameter("w", new int[]{OUT, IN}, w);
        Parameter bias = withBias ? new Parameter("bias", new int[]{OUT}, random(rnd, OUT, 1)) : null;
        Parameter a = new Parameter("a", new int[]{RANK, IN}, random(rnd, RANK * IN, 0.7));
        Parameter b = new Parameter("b", new int[]{OUT, RANK}, random(rnd, OUT * RANK, 0.7));
        Parameter m = new Parameter("m", new int[]{OUT}, random(rnd, OUT, 1));
        for (Parameter p : new Parameter[]{a, b, m}) p.setTrainable(true);
        LinearLayer layer = new LinearLayer(weight, bias);
        layer.attach(new LinearLayer.Lora(a, b, RANK, S, dropout, m));
        return new Setup(layer, a, b, m, w, bias == null ? null : bias.value());
    }

    /** PEFT's formula with the row norm n given (so that it can be held constant): Wx + b + (m/n − 1)·W·x̃ + (m/n)·s·BAx̃. */
    private static double[] formula(Setup t, float[] x, float[] xd, float[] n) {
        double[] y = new double[ROWS * OUT];
        for (int i = 0; i < ROWS; i++) {
            for (int o = 0; o < OUT; o++) {
                double wx = 0, wxd = 0, bax = 0;
                for (int c = 0; c < IN; c++) {
                    wx += t.w()[o * IN + c] * x[i * IN + c];
                    wxd += t.w()[o * IN + c] * xd[i * IN + c];
                    double ba = 0;
                    for (int k = 0; k < RANK; k++) ba += t.b().value()[o * RANK + k] * t.a().value()[k * IN + c];
                    bax += ba * xd[i * IN + c];
                }
                double f = t.m().value()[o] / n[o];
                y[i * OUT + o] = wx + (t.bias() == null ? 0 : t.bias()[o]) + (f - 1) * wxd + f * S * bax;
            }
        }
        return y;
    }

    private static float[] norms(Setup t) {
        float[] n = new float[OUT];
        for (int o = 0; o < OUT; o++) {
            double sum = 0;
            for (int c = 0; c < IN; c++) {
                double ba = 0;
                for (int k = 0; k < RANK; k++) ba += t.b().value()[o * RANK + k] * t.a().value()[k * IN + c];
                double v = t.w()[o * IN + c] + S * ba;
                sum += v * v;
            }
            n[o] = (float) Math.sqrt(sum);
        }
        return n;
    }

    /** float32 engine against the double-precision formula. */
    private static void close(double[] expect, float[] actual) {
        for (int i = 0; i < expect.length; i++) assertEquals(expect[i], actual[i], 1e-5 * Math.max(1, Math.abs(expect[i])), "y[" + i + "]");
    }

    /** {@code Σ r·y} for a double-precision y. */
    private static double projectExact(double[] y, float[] r) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += y[i] * r[i];
        return s;
    }

    @Test
    void forwardIsPeftsFormulaAndTheNormIsThatOfTheAdaptedRows() {
        Setup t = setup(null, true);
        float[] x = random(rnd, ROWS * IN, 1), y = new float[ROWS * OUT];
        t.layer().forward(x, ROWS, y);
        assertArrayEquals(norms(t), t.layer().doraWeightNorm(), 1e-5f);
        close(formula(t, x, x, norms(t)), y);
    }

    @Test
    void gradientsAreThoseOfTheDetachedNorm() {
        for (boolean withBias : new boolean[]{false, true}) {
            Setup t = setup(null, withBias);
            float[] x = random(rnd, ROWS * IN, 1), g = random(rnd, ROWS * OUT, 1), dx = new float[ROWS * IN];
            t.layer().backward(x, ROWS, g, dx);
            // magnitude and input: the norm does not depend on them, so the layer's own function is the reference
            float[] y = new float[ROWS * OUT];
            DoubleSupplier real = () -> {
                t.layer().forward(x, ROWS, y);
                return project(y, g);
            };
            check("dm", t.m().value(), t.m().grad(), real);
            check("dx", x, dx, real);
            // A and B: PEFT detaches the norm, so the reference holds it at its current value
            float[] n0 = norms(t);
            DoubleSupplier detached = () -> projectExact(formula(t, x, x, n0), g);
            check("dA", t.a().value(), t.a().grad(), detached);
            check("dB", t.b().value(), t.b().grad(), detached);
        }
    }

    @Test
    void dropoutAppliesToTheDoraTermsOnly() {
        LinearLayer.Dropout d = new LinearLayer.Dropout(0.4, 5);
        Setup t = setup(d, true);
        float[] x = random(rnd, ROWS * IN, 1), y = new float[ROWS * OUT];
        float[] mask = d.mask(x, ROWS * IN);
        float[] xd = new float[x.length];
        for (int i = 0; i < x.length; i++) xd[i] = x[i] * mask[i];
        t.layer().forward(x, ROWS, y);
        close(formula(t, x, xd, norms(t)), y);
        // gradients under the (fixed, input-determined) mask
        float[] g = random(rnd, ROWS * OUT, 1);
        t.layer().backward(x, ROWS, g, new float[x.length]);
        DoubleSupplier real = () -> {
            t.layer().forward(x, ROWS, y);
            return project(y, g);
        };
        check("dm", t.m().value(), t.m().grad(), real);
        float[] n0 = norms(t);
        check("dA", t.a().value(), t.a().grad(), () -> projectExact(formula(t, x, xd, n0), g));
        // not training: no dropout, and the output is (m/n)·(W + sBA)x + b
        d.setActive(false);
        t.layer().forward(x, ROWS, y);
        close(formula(t, x, x, norms(t)), y);
    }

    @Test
    void atInitializationWithZeroBTheLayerIsUnchanged() {
        Setup t = setup(null, true);
        java.util.Arrays.fill(t.b().value(), 0f);
        System.arraycopy(t.layer().doraWeightNorm(), 0, t.m().value(), 0, OUT);
        float[] x = random(rnd, ROWS * IN, 1), y = new float[ROWS * OUT], base = new float[ROWS * OUT];
        t.layer().forward(x, ROWS, y);
        Linear.forward(base, x, t.w(), t.bias(), ROWS, IN, OUT);
        assertArrayEquals(base, y, 1e-5f);
    }
}
