package dev.jllm.train.nn;

import dev.jllm.core.kernel.Simd;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RMSNorm's and RoPE's vector loops against their scalar twins (-Djllm.vector=false): everything but the two per-row double sums
 * (mean of squares, backward dot) is done lane by lane in the scalar order, so the weight gradient is bit for bit the
 * same and the rest differs at most by the rounding of a reordered double sum.
 */
class NormAndRopeVectorTest {
    @AfterEach
    void restore() {
        Simd.setEnabled(true);
    }

    @Test
    void vectorAndScalarPassesAgree() {
        Random r = new Random(21);
        int rows = 37, dim = 72 + 5; // a scalar tail after the vector lanes
        float[] x = random(r, rows * dim), w = random(r, dim), dy = random(r, rows * dim), dx0 = random(r, rows * dim);
        float[][] y = new float[2][], rstd = new float[2][], dx = new float[2][], dw = new float[2][];
        for (int v = 0; v < 2; v++) {
            Simd.setEnabled(v == 0);
            y[v] = new float[rows * dim];
            rstd[v] = new float[rows];
            RmsNorm.forward(y[v], rstd[v], x, w, rows, dim, 1e-6);
            dx[v] = dx0.clone();
            dw[v] = new float[dim];
            // both backward passes from the same rstd, so the weight gradient must agree exactly
            RmsNorm.backward(dx[v], dw[v], dy, x, w, rstd[0], rows, dim);
        }
        for (int i = 0; i < rows; i++) assertEquals(rstd[1][i], rstd[0][i], Math.ulp(rstd[1][i]), "rstd " + i);
        for (int i = 0; i < rows * dim; i++) {
            assertEquals(y[1][i], y[0][i], 2 * Math.ulp(y[1][i]), "y " + i);
            assertEquals(dx[1][i], dx[0][i], 1e-6f * (1 + Math.abs(dx[1][i])), "dx " + i);
        }
        for (int i = 0; i < dim; i++) assertEquals(Float.floatToRawIntBits(dw[1][i]), Float.floatToRawIntBits(dw[0][i]), "dw " + i);
    }

    /** RoPE's vector loop does the scalar float operations lane by lane: the same bits, both directions. */
    @Test
    void ropeVectorAndScalarAgreeBitwise() {
        Random r = new Random(22);
        int rows = 9, heads = 3;
        for (int headDim : new int[]{64, 40, 8}) { // whole vectors, a vector and a tail, scalar only
            float[] inv = new float[headDim / 2];
            for (int i = 0; i < inv.length; i++) inv[i] = (float) Math.pow(10000, -2.0 * i / headDim);
            var table = dev.jllm.model.arch.Rope.Table.of(inv, 0, 32);
            int[] positions = new int[rows];
            for (int i = 0; i < rows; i++) positions[i] = r.nextInt(32);
            float[] x = random(r, rows * heads * headDim);
            for (boolean inverse : new boolean[]{false, true}) {
                float[][] out = new float[2][];
                for (int v = 0; v < 2; v++) {
                    Simd.setEnabled(v == 0);
                    out[v] = x.clone();
                    Rope.apply(out[v], positions, heads, table, inverse);
                }
                for (int i = 0; i < x.length; i++) {
                    assertEquals(Float.floatToRawIntBits(out[1][i]), Float.floatToRawIntBits(out[0][i]), "headDim " + headDim + " at " + i);
                }
            }
        }
    }

    private static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }
}
