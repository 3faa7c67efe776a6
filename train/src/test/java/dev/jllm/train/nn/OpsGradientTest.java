package dev.jllm.train.nn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static dev.jllm.train.nn.GradCheck.check;
import static dev.jllm.train.nn.GradCheck.project;
import static dev.jllm.train.nn.GradCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Every op's backward against finite differences of its float32 forward (see {@link GradCheck} for the tolerances). */
class OpsGradientTest {
    private final Random rnd = new Random(42);

    @ParameterizedTest
    @CsvSource({"true", "false"})
    void linear(boolean withBias) {
        int rows = 5, in = 7, out = 6;
        float[] x = random(rnd, rows * in, 1), w = random(rnd, out * in, 1), b = withBias ? random(rnd, out, 1) : null;
        float[] r = random(rnd, rows * out, 1);
        float[] y = new float[rows * out];
        java.util.function.DoubleSupplier f = () -> {
            Linear.forward(y, x, w, b, rows, in, out);
            return project(y, r);
        };
        float[] dx = new float[x.length], dw = new float[w.length], db = withBias ? new float[out] : null;
        Linear.backward(dx, dw, db, r, x, w, rows, in, out);
        check("dx", x, dx, f);
        check("dw", w, dw, f);
        if (withBias) check("db", b, db, f);
    }

    @Test
    void loraLinear() {
        int rows = 4, in = 6, out = 5, rank = 3;
        Parameter w = new Parameter("w", new int[]{out, in}, random(rnd, out * in, 1));
        Parameter bias = new Parameter("b", new int[]{out}, random(rnd, out, 1));
        Parameter a = new Parameter("a", new int[]{rank, in}, random(rnd, rank * in, 1));
        Parameter bb = new Parameter("bb", new int[]{out, rank}, random(rnd, out * rank, 1));
        for (Parameter p : new Parameter[]{w, bias, a, bb}) p.setTrainable(true);
        LinearLayer layer = new LinearLayer(w, bias);
        layer.attach(new LinearLayer.Lora(a, bb, rank, 1.7));
        float[] x = random(rnd, rows * in, 1), r = random(rnd, rows * out, 1), y = new float[rows * out];
        java.util.function.DoubleSupplier f = () -> {
            layer.forward(x, rows, y);
            return project(y, r);
        };
        float[] dx = new float[x.length];
        layer.backward(x, rows, r, dx);
        check("dx", x, dx, f);
        check("dW", w.value(), w.grad(), f);
        check("dbias", bias.value(), bias.grad(), f);
        check("dA", a.value(), a.grad(), f);
        check("dB", bb.value(), bb.grad(), f);
    }

    @Test
    void embedding() {
        int vocab = 6, dim = 4;
        int[] ids = {3, 1, 3, 0, 5};
        float[] table = random(rnd, vocab * dim, 1), r = random(rnd, ids.length * dim, 1), y = new float[ids.length * dim];
        float[] dt = new float[table.length];
        Embedding.backward(dt, r, ids, dim);
        check("dtable", table, dt, () -> {
            Embedding.forward(y, ids, table, vocab, dim);
            return project(y, r);
        });
        assertThrows(IllegalArgumentException.class, () -> Embedding.forward(y, new int[]{6}, table, vocab, dim));
    }

    @Test
    void rmsNorm() {
        int rows = 3, dim = 8;
        float[] x = random(rnd, rows * dim, 1), w = random(rnd, dim, 1), r = random(rnd, rows * dim, 1);
        float[] y = new float[x.length], rstd = new float[rows];
        java.util.function.DoubleSupplier f = () -> {
            RmsNorm.forward(y, new float[rows], x, w, rows, dim, 1e-5);
            return project(y, r);
        };
        RmsNorm.forward(y, rstd, x, w, rows, dim, 1e-5);
        float[] dx = new float[x.length], dw = new float[dim];
        RmsNorm.backward(dx, dw, r, x, w, rstd, rows, dim);
        check("dx", x, dx, f);
        check("dw", w, dw, f);
    }

    @Test
    void rope() {
        int rows = 4, heads = 3, dim = 6;
        var table = dev.jllm.model.arch.Rope.Table.of(new float[]{1f, 0.1f, 0.01f}, 0, 10);
        int[] pos = {0, 3, 7, 9};
        float[] x = random(rnd, rows * heads * dim, 1), r = random(rnd, x.length, 1);
        float[] dx = r.clone();
        Rope.apply(dx, pos, heads, table, true);
        check("dx", x, dx, () -> {
            float[] y = x.clone();
            Rope.apply(y, pos, heads, table, false);
            return project(y, r);
        });
        // rotate_half layout: element i pairs with i + d/2.
        float[] one = new float[dim];
        one[0] = 1;
        Rope.apply(one, new int[]{1}, 1, table, false);
        assertEquals((float) Math.cos(1.0), one[0], 0f);
        assertEquals((float) Math.sin(1.0), one[3], 0f);
    }

    @ParameterizedTest
    @CsvSource({"0, false, 5", "3, false, 5", "0, true, 5", "2, true, 5", "0, true, 80", "40, false, 80"})
    void attention(int window, boolean padded, int T) {
        // T = 80 spans two query tiles of Attention.QT.
        int batch = T > 64 ? 1 : 2, heads = T > 64 ? 2 : 4, kvHeads = T > 64 ? 1 : 2, d = T > 64 ? 2 : 3;
        var shape = new Attention.Shape(batch, T, heads, kvHeads, d, window);
        float[] q = random(rnd, batch * T * heads * d, 1), k = random(rnd, batch * T * kvHeads * d, 1), v = random(rnd, k.length, 1);
        int[] mask = null;
        if (padded) {
            mask = new int[batch * T];
            java.util.Arrays.fill(mask, 1);
            mask[T - 1] = 0;          // row 0: last position is padding
            if (batch > 1) {
                mask[2 * T - 1] = 0;  // row 1: two pads
                mask[2 * T - 2] = 0;
            }
        }
        int[] m = mask;
        float[] r = random(rnd, q.length, 1);
        if (padded) {
            // Losses never read padded positions; zero their output weights as the model's labels would.
            for (int b = 0; b < batch; b++) for (int t = 0; t < T; t++) if (m[b * T + t] == 0) java.util.Arrays.fill(r, (b * T + t) * heads * d, (b * T + t + 1) * heads * d, 0);
        }
        float[] out = new float[q.length], lse = new float[batch * heads * T];
        java.util.function.DoubleSupplier f = () -> {
            float[] o = new float[q.length];
            Attention.forward(o, new float[batch * heads * T], q, k, v, m, shape);
            return project(o, r);
        };
        Attention.forward(out, lse, q, k, v, m, shape);
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        Attention.backward(dq, dk, dv, r, out, lse, q, k, v, m, shape);
        check("dq", q, dq, f);
        check("dk", k, dk, f);
        check("dv", v, dv, f);
    }

    @Test
    void attentionMatchesNaiveSoftmax() {
        int T = 4, d = 2;
        var shape = new Attention.Shape(1, T, 1, 1, d, 2);
        float[] q = random(rnd, T * d, 1), k = random(rnd, T * d, 1), v = random(rnd, T * d, 1);
        float[] out = new float[T * d];
        Attention.forward(out, new float[T], q, k, v, null, shape);
        int t = 3; // window 2: sees positions 2 and 3 only
        double s2 = (q[6] * k[4] + q[7] * k[5]) / Math.sqrt(d), s3 = (q[6] * k[6] + q[7] * k[7]) / Math.sqrt(d);
        double p2 = Math.exp(s2) / (Math.exp(s2) + Math.exp(s3)), p3 = 1 - p2;
        assertEquals(p2 * v[4] + p3 * v[6], out[t * d], 1e-6);
        assertEquals(p2 * v[5] + p3 * v[7], out[t * d + 1], 1e-6);
    }

    @Test
    void swiGlu() {
        int n = 9;
        float[] g = random(rnd, n, 2), u = random(rnd, n, 1), r = random(rnd, n, 1), a = new float[n];
        float[] dg = new float[n], du = new float[n];
        SwiGlu.backward(dg, du, r, g, u, n);
        java.util.function.DoubleSupplier f = () -> {
            SwiGlu.forward(a, g, u, n);
            return project(a, r);
        };
        check("dg", g, dg, f);
        check("du", u, du, f);
    }
}
