package dev.jllm.train.optim;

import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.jllm.train.FloatAsserts.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class OptimizerTest {

    private static Parameter param(String name, double... values) {
        Parameter p = new Parameter(name, new int[]{values.length}, dev.jllm.train.FloatAsserts.floats(values));
        p.setTrainable(true);
        return p;
    }

    @Test
    void adamWFollowsTorchFormulas() {
        Parameter p = param("w", 1.0, -2.0);
        var opt = new AdamW(List.of(new ParamGroup(p, 0.1)));
        double[] g1 = {0.5, -0.25}, g2 = {-1.0, 2.0};
        double[] expected = {1.0, -2.0}, m = new double[2], v = new double[2];
        double[][] grads = {g1, g2};
        double[] lrs = {1e-2, 5e-3};
        for (int t = 1; t <= 2; t++) {
            System.arraycopy(dev.jllm.train.FloatAsserts.floats(grads[t - 1]), 0, p.grad(), 0, 2);
            opt.step(lrs[t - 1]);
            for (int i = 0; i < 2; i++) {
                double lr = lrs[t - 1];
                expected[i] *= 1 - lr * 0.1;
                m[i] = 0.9 * m[i] + 0.1 * grads[t - 1][i];
                v[i] = 0.999 * v[i] + 0.001 * grads[t - 1][i] * grads[t - 1][i];
                expected[i] -= lr / (1 - Math.pow(0.9, t)) * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8);
                assertEquals(expected[i], p.value()[i], 1e-6);
            }
        }
        assertEquals(2, opt.steps());
    }

    /** The vector update and the scalar loop it replaces must give the same bits (a run may not depend on the CPU). */
    @Test
    void adamWVectorAndScalarUpdatesAgreeBitwise() {
        java.util.Random r = new java.util.Random(11);
        int n = 1000 + 13; // a scalar tail after the vector lanes
        float[] init = new float[n];
        for (int i = 0; i < n; i++) init[i] = (float) r.nextGaussian();
        float[][] grads = new float[3][n];
        for (float[] g : grads) {
            for (int i = 0; i < n; i++) g[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 6));
            g[5] = 0f;
            g[7] = -0f;
        }
        float[][] params = new float[2][], moments = new float[4][];
        for (int variant = 0; variant < 2; variant++) {
            dev.jllm.core.kernel.Simd.setEnabled(variant == 0);
            try {
                Parameter p = new Parameter("w", new int[]{n}, init.clone());
                p.setTrainable(true);
                var opt = new AdamW(List.of(new ParamGroup(p, 0.01)), 0.9, 0.999, 1e-8);
                for (float[] g : grads) {
                    System.arraycopy(g, 0, p.grad(), 0, n);
                    opt.step(3e-4);
                }
                params[variant] = p.value();
                moments[2 * variant] = opt.firstMoment(0);
                moments[2 * variant + 1] = opt.secondMoment(0);
            } finally {
                dev.jllm.core.kernel.Simd.setEnabled(true);
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals(Float.floatToRawIntBits(params[1][i]), Float.floatToRawIntBits(params[0][i]), "parameter " + i);
            assertEquals(Float.floatToRawIntBits(moments[2][i]), Float.floatToRawIntBits(moments[0][i]), "first moment " + i);
            assertEquals(Float.floatToRawIntBits(moments[3][i]), Float.floatToRawIntBits(moments[1][i]), "second moment " + i);
        }
    }

    @Test
    void adamWWithZeroLrStillMovesMoments() {
        Parameter p = param("w", 3.0);
        var opt = new AdamW(List.of(new ParamGroup(p, 0.5)));
        p.grad()[0] = 2;
        opt.step(0);
        assertEquals(3.0, p.value()[0]);
        assertEquals(0.2, opt.firstMoment(0)[0], 1e-6);
    }

    @Test
    void sgdWithMomentumAndCoupledDecay() {
        Parameter p = param("w", 1.0);
        var opt = new Sgd(List.of(new ParamGroup(p, 0.1)), 0.9, 0, false);
        p.grad()[0] = 0.5f;
        opt.step(0.1);               // d = 0.5 + 0.1 = 0.6, buf = 0.6
        assertEquals(1.0 - 0.06, p.value()[0], 1e-6);
        p.grad()[0] = 0.5f;
        opt.step(0.1);               // d = 0.5 + 0.094 = 0.594, buf = 0.54 + 0.594
        assertEquals(0.94 - 0.1 * (0.9 * 0.6 + 0.594), p.value()[0], 1e-6);
        Parameter plain = param("w", 1.0);
        plain.grad()[0] = 2;
        new Sgd(List.of(new ParamGroup(plain, 0))).step(0.25);
        assertEquals(0.5, plain.value()[0], 1e-6);
    }

    @Test
    void clippingUsesTheGlobalNorm() {
        Parameter a = param("a", 0), b = param("b", 0, 0);
        a.grad()[0] = 3;
        b.grad()[0] = 4;
        double norm = GradClip.clip(List.of(a, b), 1.0);
        assertEquals(5.0, norm, 1e-6);
        double coef = 1.0 / (5.0 + 1e-6);
        assertEquals(3 * coef, a.grad()[0], 1e-6);
        assertEquals(4 * coef, b.grad()[0], 1e-6);
        assertEquals(1.0, GradClip.coefficient(0.5, 1.0));
    }

    /** Long gradients take the vector paths: the norm to double rounding, the scaling bit for bit as the scalar loop. */
    @Test
    void clippingLongGradientsMatchesTheScalarDefinition() {
        java.util.Random r = new java.util.Random(12);
        Parameter a = param("a", new double[4099]), b = param("b", new double[37]);
        double want = 0;
        for (Parameter p : List.of(a, b)) {
            for (int i = 0; i < p.size(); i++) {
                p.grad()[i] = (float) (r.nextGaussian() * 3);
                want += (double) p.grad()[i] * p.grad()[i];
            }
        }
        float[] before = a.grad().clone();
        double norm = GradClip.clip(List.of(a, b), 1.0);
        assertEquals(Math.sqrt(want), norm, 1e-12 * Math.sqrt(want));
        double coef = GradClip.coefficient(norm, 1.0);
        for (int i = 0; i < before.length; i++) {
            float expected = before[i];
            expected *= coef;
            assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(a.grad()[i]), "element " + i);
        }
    }

    @Test
    void decayExcludesBiasesAndNormsAsTransformersDoes() {
        for (String n : List.of("model.embed_tokens.weight", "lm_head.weight", "model.layers.0.self_attn.q_proj.weight",
                "model.layers.3.mlp.down_proj.lora_A.weight")) {
            assertTrue(ParamGroup.decays(n), n);
        }
        for (String n : List.of("model.norm.weight", "model.layers.0.input_layernorm.weight", "model.layers.0.post_attention_layernorm.weight",
                "model.layers.0.self_attn.q_norm.weight", "model.layers.0.self_attn.q_proj.bias", "encoder.LayerNorm.weight")) {
            assertFalse(ParamGroup.decays(n), n);
        }
    }
}
