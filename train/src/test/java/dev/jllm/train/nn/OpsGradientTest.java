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

/** Every op's backward against float64 finite differences of its forward. */
class OpsGradientTest {
    private final Random rnd = new Random(42);

    @ParameterizedTest
    @CsvSource({"true", "false"})
    void linear(boolean withBias) {
        int rows = 5, in = 7, out = 6;
        double[] x = random(rnd, rows * in, 1), w = random(rnd, out * in, 1), b = withBias ? random(rnd, out, 1) : null;
        double[] r = random(rnd, rows * out, 1);
        double[] y = new double[rows * out];
        java.util.function.DoubleSupplier f = () -> {
            Linear.forward(y, x, w, b, rows, in, out);
            return project(y, r);
        };
        double[] dx = new double[x.length], dw = new double[w.length], db = withBias ? new double[out] : null;
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
        double[] x = random(rnd, rows * in, 1), r = random(rnd, rows * out, 1), y = new double[rows * out];
        java.util.function.DoubleSupplier f = () -> {
            layer.forward(x, rows, y);
            return project(y, r);
        };
        double[] dx = new double[x.length];
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
        double[] table = random(rnd, vocab * dim, 1), r = random(rnd, ids.length * dim, 1), y = new double[ids.length * dim];
        double[] dt = new double[table.length];
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
        double[] x = random(rnd, rows * dim, 1), w = random(rnd, dim, 1), r = random(rnd, rows * dim, 1);
        double[] y = new double[x.length], rstd = new double[rows];
        java.util.function.DoubleSupplier f = () -> {
            RmsNorm.forward(y, new double[rows], x, w, rows, dim, 1e-5);
            return project(y, r);
        };
        RmsNorm.forward(y, rstd, x, w, rows, dim, 1e-5);
        double[] dx = new double[x.length], dw = new double[dim];
        RmsNorm.backward(dx, dw, r, x, w, rstd, rows, dim);
        check("dx", x, dx, f);
        check("dw", w, dw, f);
    }

    @Test
    void rope() {
        int rows = 4, heads = 3, dim = 6;
        Rope.Table table = Rope.Table.of(new double[]{1.0, 0.1, 0.01}, 10);
        int[] pos = {0, 3, 7, 9};
        double[] x = random(rnd, rows * heads * dim, 1), r = random(rnd, x.length, 1);
        double[] dx = r.clone();
        Rope.apply(dx, pos, heads, table, true);
        check("dx", x, dx, () -> {
            double[] y = x.clone();
            Rope.apply(y, pos, heads, table, false);
            return project(y, r);
        });
        // rotate_half layout: element i pairs with i + d/2.
        double[] one = new double[dim];
        one[0] = 1;
        Rope.apply(one, new int[]{1}, 1, table, false);
        assertEquals(Math.cos(1.0), one[0], 1e-15);
        assertEquals(Math.sin(1.0), one[3], 1e-15);
    }

    @ParameterizedTest
    @CsvSource({"0, false, 5", "3, false, 5", "0, true, 5", "2, true, 5", "0, true, 80", "40, false, 80"})
    void attention(int window, boolean padded, int T) {
        // T = 80 spans two query tiles of Attention.QT.
        int batch = T > 64 ? 1 : 2, heads = T > 64 ? 2 : 4, kvHeads = T > 64 ? 1 : 2, d = T > 64 ? 2 : 3;
        var shape = new Attention.Shape(batch, T, heads, kvHeads, d, window);
        double[] q = random(rnd, batch * T * heads * d, 1), k = random(rnd, batch * T * kvHeads * d, 1), v = random(rnd, k.length, 1);
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
        double[] r = random(rnd, q.length, 1);
        if (padded) {
            // Losses never read padded positions; zero their output weights as the model's labels would.
            for (int b = 0; b < batch; b++) for (int t = 0; t < T; t++) if (m[b * T + t] == 0) java.util.Arrays.fill(r, (b * T + t) * heads * d, (b * T + t + 1) * heads * d, 0);
        }
        double[] out = new double[q.length], lse = new double[batch * heads * T];
        java.util.function.DoubleSupplier f = () -> {
            double[] o = new double[q.length];
            Attention.forward(o, new double[batch * heads * T], q, k, v, m, shape);
            return project(o, r);
        };
        Attention.forward(out, lse, q, k, v, m, shape);
        double[] dq = new double[q.length], dk = new double[k.length], dv = new double[v.length];
        Attention.backward(dq, dk, dv, r, out, lse, q, k, v, m, shape);
        check("dq", q, dq, f);
        check("dk", k, dk, f);
        check("dv", v, dv, f);
    }

    @Test
    void attentionMatchesNaiveSoftmax() {
        int T = 4, d = 2;
        var shape = new Attention.Shape(1, T, 1, 1, d, 2);
        double[] q = random(rnd, T * d, 1), k = random(rnd, T * d, 1), v = random(rnd, T * d, 1);
        double[] out = new double[T * d];
        Attention.forward(out, new double[T], q, k, v, null, shape);
        int t = 3; // window 2: sees positions 2 and 3 only
        double s2 = (q[6] * k[4] + q[7] * k[5]) / Math.sqrt(d), s3 = (q[6] * k[6] + q[7] * k[7]) / Math.sqrt(d);
        double p2 = Math.exp(s2) / (Math.exp(s2) + Math.exp(s3)), p3 = 1 - p2;
        assertEquals(p2 * v[4] + p3 * v[6], out[t * d], 1e-12);
        assertEquals(p2 * v[5] + p3 * v[7], out[t * d + 1], 1e-12);
    }

    @Test
    void swiGlu() {
        int n = 9;
        double[] g = random(rnd, n, 2), u = random(rnd, n, 1), r = random(rnd, n, 1), a = new double[n];
        double[] dg = new double[n], du = new double[n];
        SwiGlu.backward(dg, du, r, g, u, n);
        java.util.function.DoubleSupplier f = () -> {
            SwiGlu.forward(a, g, u, n);
            return project(a, r);
        };
        check("dg", g, dg, f);
        check("du", u, du, f);
    }

    @Test
    void float32ProductsStayWithinFloat32Rounding() {
        int m = 13, n = 70, k = 600;   // two k-blocks, partial tiles on both edges
        double[] a = random(rnd, m * k, 1), b = random(rnd, n * k, 1), exact = new double[m * n], c = new double[m * n];
        Matmul.nt(exact, a, b, m, n, k, false);
        try {
            Matmul.setPrecision(Matmul.Precision.FLOAT32);
            Matmul.nt(c, a, b, m, n, k, false);
            for (int i = 0; i < c.length; i++) assertEquals(exact[i], c[i], 1e-4 * Math.sqrt(k));
            double[] bt = Matmul.transpose(b, n, k);
            Matmul.nn(c, a, bt, m, n, k, false);
            for (int i = 0; i < c.length; i++) assertEquals(exact[i], c[i], 1e-4 * Math.sqrt(k));
        } finally {
            Matmul.setPrecision(Matmul.Precision.FLOAT64);
        }
    }

    @Test
    void matmulShapesAgreeWithNaiveProducts() {
        for (int[] s : new int[][]{{1, 1, 1}, {3, 5, 7}, {9, 13, 33}, {17, 130, 300}, {64, 64, 64}}) {
            int m = s[0], n = s[1], k = s[2];
            double[] a = random(rnd, m * k, 1), b = random(rnd, n * k, 1);
            double[] c = new double[m * n], expected = new double[m * n];
            for (int i = 0; i < m; i++) for (int j = 0; j < n; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) acc += a[i * k + p] * b[j * k + p];
                expected[i * n + j] = acc;
            }
            Matmul.nt(c, a, b, m, n, k, false);
            assertArrayEquals(expected, c, 1e-10);
            double[] bt = Matmul.transpose(b, n, k);
            Matmul.nn(c, a, bt, m, n, k, false);
            assertArrayEquals(expected, c, 1e-10);
            Matmul.tn(c, Matmul.transpose(a, m, k), bt, m, n, k, false);
            assertArrayEquals(expected, c, 1e-10);
            Matmul.nt(c, a, b, m, n, k, true);
            for (int i = 0; i < expected.length; i++) assertEquals(2 * expected[i], c[i], 1e-10);
        }
    }
}
