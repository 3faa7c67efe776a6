package dev.jllm.core.tensor;

import dev.jllm.core.gguf.GgmlType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Int8DotsTest {
    private final boolean initial = Q4_KWeights.int8Activations();

    @AfterEach
    void restore() {
        Q4_KWeights.setInt8Activations(initial);
    }

    @Test
    void activationRoundTripsWithinHalfAStep() {
        Random r = new Random(3);
        float[] x = WeightMatrixTest.randomVector(r, 512);
        x[300] = 0; // a zero block would be skipped; keep one block non-trivial and check the sums
        Int8Dots.Activation a = Int8Dots.quantize(x, 0, 512);
        for (int j = 0; j < 512; j++) {
            float d = a.d()[j / 256];
            assertTrue(Math.abs(x[j] - d * a.q()[j]) <= d / 2 * (1 + 1e-5f), "x[" + j + "]");
            assertTrue(Math.abs(a.q()[j]) <= 127);
        }
        for (int g = 0; g < 16; g++) {
            int s = 0;
            for (int j = 0; j < 32; j++) s += a.q()[32 * g + j];
            assertEquals(s, a.sums32()[g]);
        }
    }

    @Test
    void zeroVectorGivesZero() {
        WeightMatrix w = WeightMatrixTest.make(GgmlType.Q4_K, 4, 512, 1);
        Q4_KWeights.setInt8Activations(true);
        float[] y = new float[4];
        w.matvec(new float[512], y);
        for (float v : y) assertEquals(0f, v);
    }

    /**
     * The int8-activation dot equals the exact dot of the dequantized row with the quantized x (float rounding
     * only), and so differs from the float kernel by at most Σ_blocks (d_x/2)·Σ|w| (llama.cpp's Q8_K trade-off).
     */
    @Test
    void q4_KMatchesDequantizedDotWithinActivationQuantization() {
        int rows = 37, cols = 1024;
        WeightMatrix w = WeightMatrixTest.make(GgmlType.Q4_K, rows, cols, 11);
        Random r = new Random(5);
        float[] x = new float[cols + 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian() * (i < 512 ? 1 : 0.01f);
        Int8Dots.Activation a = Int8Dots.quantize(x, 3, cols);
        float[] xq = new float[cols];
        for (int j = 0; j < cols; j++) xq[j] = a.d()[j / 256] * a.q()[j];
        Q4_KWeights.setInt8Activations(true);
        float[] yInt = new float[rows];
        w.matvec(x, 3, yInt, 0);
        Q4_KWeights.setInt8Activations(false);
        float[] yFloat = new float[rows];
        w.matvec(x, 3, yFloat, 0);
        float[] row = new float[cols];
        for (int i = 0; i < rows; i++) {
            w.dequantizeRow(i, row, 0);
            double exactQ = WeightMatrixTest.exactDot(row, xq, 0);
            double rounding = 1e-5 * WeightMatrixTest.absDot(row, xq, 0) + 1e-6;
            assertEquals(exactQ, yInt[i], rounding, "row " + i + " vs dequantized row · quantized x");
            double bound = 0;
            for (int j = 0; j < cols; j++) bound += a.d()[j / 256] / 2 * Math.abs(row[j]);
            assertEquals(yFloat[i], yInt[i], bound + rounding + 1e-5 * WeightMatrixTest.absDot(row, x, 3), "row " + i + " vs float kernel");
        }
    }
}
