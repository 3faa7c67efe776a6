package dev.jllm.train.optim;

import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.jllm.train.FloatAsserts.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Adafactor steps worked out by hand from transformers' update rule. */
class AdafactorTest {
    private static Parameter param(int[] shape, double... values) {
        Parameter p = new Parameter("w", shape, dev.jllm.train.FloatAsserts.floats(values));
        p.setTrainable(true);
        return p;
    }

    private static void grad(Parameter p, double... g) {
        System.arraycopy(dev.jllm.train.FloatAsserts.floats(g), 0, p.grad(), 0, g.length);
    }

    @Test
    void vectorFirstStepIsTheSignAndSecondStepFollowsTheDecayingAverage() {
        Parameter p = param(new int[]{2}, 1, 2);
        var opt = Adafactor.forTrainer(List.of(new ParamGroup(p, 0.0)));
        grad(p, 3, 4);
        opt.step(0.1);
        // t=1: β2ₜ = 1 − 1^−0.8 = 0, so v = g², the update g/|g| = 1 each, RMS 1: no clipping
        assertArrayEquals(new double[]{0.9, 1.9}, p.value(), 1e-6);
        grad(p, 1, 2);
        opt.step(0.05);
        // t=2: β2ₜ = 1 − 2^−0.8 = 0.42565…; v = (9β + (1−β)·1, 16β + (1−β)·4) = (4.40521, 9.10781);
        // update (0.476449, 0.662709), RMS 0.577 < 1
        assertArrayEquals(new double[]{0.8761775258310042, 1.8668645386256253}, p.value(), 1e-6);
        assertEquals(2, opt.steps());
    }

    @Test
    void matrixUsesFactoredRowAndColumnMeans() {
        Parameter p = param(new int[]{2, 2}, 0, 0, 0, 0);
        var opt = Adafactor.forTrainer(List.of(new ParamGroup(p, 0.0)));
        grad(p, 1, 2, 3, 4);
        opt.step(1.0);
        // R = row means of g² = (2.5, 12.5), C = column means = (5, 10), mean(R) = 7.5:
        // v̂ᵢⱼ = Rᵢ/7.5 · Cⱼ → update gᵢⱼ / sqrt(v̂ᵢⱼ); RMS of the update is sqrt(0.96) < 1
        double[] expected = {-Math.sqrt(3.0 / 5), -2 * Math.sqrt(3.0 / 10), -3 * Math.sqrt(0.6 / 5), -4 * Math.sqrt(0.6 / 10)};
        assertArrayEquals(expected, p.value(), 1e-6);
        Map<String, float[]> state = opt.state();
        assertArrayEquals(new double[]{2.5, 12.5}, state.get("exp_avg_sq_row/w"), 1e-6);
        assertArrayEquals(new double[]{5, 10}, state.get("exp_avg_sq_col/w"), 1e-6);
    }

    @Test
    void updateIsClippedToTheThresholdRms() {
        Parameter p = param(new int[]{2}, 0, 0);
        var opt = new Adafactor(List.of(new ParamGroup(p, 0.0)), 1e-30, 1e-3, 0.5, -0.8, null, false, false, false);
        grad(p, -7, 0.25);
        opt.step(1.0);
        // unclipped update (−1, 1) has RMS 1; threshold 0.5 halves it
        assertArrayEquals(new double[]{0.5, -0.5}, p.value(), 1e-6);
    }

    @Test
    void weightDecayUsesTheStepSizeAndMomentumAveragesUpdates() {
        Parameter p = param(new int[]{1}, 2);
        var opt = new Adafactor(List.of(new ParamGroup(p, 0.1)), 1e-30, 1e-3, 1.0, -0.8, 0.9, false, false, false);
        grad(p, 5);
        opt.step(0.5);
        // update 0.5·1, m = 0.1·0.5 = 0.05; p = 2 − 0.1·0.5·2 − 0.05
        assertArrayEquals(new double[]{2 - 0.1 - 0.05}, p.value(), 1e-6);
    }

    @Test
    void relativeStepAndParameterScaleReplaceTheLearningRate() {
        Parameter p = param(new int[]{2}, 3, 4);
        var opt = new Adafactor(List.of(new ParamGroup(p, 0.0)), 1e-30, 1e-3, 1.0, -0.8, null, true, true, false);
        grad(p, 1, -1);
        opt.step(123);  // ignored: relative step min(1e-2, 1/√1) = 1e-2, times RMS(p) = sqrt(12.5)
        double alpha = 1e-2 * Math.sqrt(12.5);
        assertArrayEquals(new double[]{3 - alpha, 4 + alpha}, p.value(), 1e-6);
    }

    @Test
    void stateRoundTripsAndBadOptionsAreRefused() {
        Parameter p = param(new int[]{2, 3}, new double[6]);
        var a = Adafactor.forTrainer(List.of(new ParamGroup(p, 0.0)));
        grad(p, 1, 2, 3, 4, 5, 6);
        a.step(0.1);
        Parameter q = param(new int[]{2, 3}, new double[6]);
        var b = Adafactor.forTrainer(List.of(new ParamGroup(q, 0.0)));
        b.restore(a.state(), a.steps());
        assertArrayEquals(a.state().get("exp_avg_sq_col/w"), b.state().get("exp_avg_sq_col/w"));
        assertEquals(1, b.steps());
        assertThrows(IllegalArgumentException.class, () ->
                new Adafactor(List.of(new ParamGroup(p, 0.0)), 1e-30, 1e-3, 1.0, -0.8, null, false, false, true));
    }
}
