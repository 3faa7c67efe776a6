package dev.jllm.train.nn;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.jllm.train.FloatAsserts.assertArrayEquals;
import static dev.jllm.train.nn.GradCheck.check;
import static dev.jllm.train.nn.GradCheck.project;
import static dev.jllm.train.nn.GradCheck.random;
import static org.junit.jupiter.api.Assertions.*;

class LoraDropoutTest {
    private final Random rnd = new Random(7);

    private LinearLayer layer(Parameter a, Parameter b, LinearLayer.Dropout d, int out, int in) {
        Parameter w = new Parameter("w", new int[]{out, in}, random(new Random(1), out * in, 1));
        LinearLayer layer = new LinearLayer(w, null);
        layer.attach(new LinearLayer.Lora(a, b, a.shape()[0], 2.0, d));
        return layer;
    }

    @Test
    void adapterGradientsMatchFiniteDifferencesUnderAFixedMask() {
        int rows = 5, in = 8, out = 6, rank = 3;
        Parameter a = new Parameter("a", new int[]{rank, in}, random(rnd, rank * in, 1));
        Parameter b = new Parameter("b", new int[]{out, rank}, random(rnd, out * rank, 1));
        a.setTrainable(true);
        b.setTrainable(true);
        LinearLayer layer = layer(a, b, new LinearLayer.Dropout(0.3, 11), out, in);
        float[] x = random(rnd, rows * in, 1), r = random(rnd, rows * out, 1), y = new float[rows * out];
        layer.backward(x, rows, r, new float[x.length]);
        java.util.function.DoubleSupplier f = () -> {
            layer.forward(x, rows, y);
            return project(y, r);
        };
        check("dA", a.value(), a.grad(), f);
        check("dB", b.value(), b.grad(), f);
    }

    @Test
    void inactiveDropoutIsTheIdentityAndActiveDropsAboutP() {
        int rows = 50, in = 40, out = 4, rank = 2;
        Parameter a = new Parameter("a", new int[]{rank, in}, random(rnd, rank * in, 1));
        Parameter b = new Parameter("b", new int[]{out, rank}, random(rnd, out * rank, 1));
        var d = new LinearLayer.Dropout(0.25, 3);
        LinearLayer with = layer(a, b, d, out, in), without = layer(a, b, null, out, in);
        float[] x = random(rnd, rows * in, 1), y1 = new float[rows * out], y2 = new float[rows * out];
        d.setActive(false);
        with.forward(x, rows, y1);
        without.forward(x, rows, y2);
        assertArrayEquals(y2, y1, 0.0);
        float[] m = d.mask(x, x.length);
        int dropped = 0;
        for (float v : m) if (v == 0) dropped++; else assertEquals((float) (1 / 0.75), v, 0f);
        assertEquals(0.25, dropped / (double) m.length, 0.04);
        assertArrayEquals(m, d.mask(x, x.length), 0.0, "the mask is a function of the input");
    }
}
