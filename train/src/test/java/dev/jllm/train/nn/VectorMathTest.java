package dev.jllm.train.nn;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorMathTest {
    private static final int L = FloatVector.SPECIES_PREFERRED.length();

    private static float[] exp(float[] x) {
        float[] y = new float[x.length];
        for (int i = 0; i < x.length; i += L) VectorMath.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(y, i);
        return y;
    }

    @Test
    void expIsWithinTwoUlpsOverTheSoftmaxRange() {
        Random r = new Random(1);
        float[] x = new float[L * 4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 100 - 87);   // [-87, 13)
        float[] y = exp(x);
        for (int i = 0; i < x.length; i++) {
            double exact = Math.exp(x[i]);
            assertTrue(Math.abs(y[i] - exact) <= 2 * Math.ulp((float) exact), x[i] + ": " + y[i] + " vs " + exact);
        }
    }

    @Test
    void maskedAndUnderflowingArgumentsGiveExactZero() {
        float[] x = new float[L];
        java.util.Arrays.fill(x, Float.NEGATIVE_INFINITY);
        x[1] = -100f;
        x[2] = 0f;
        float[] y = exp(x);
        assertEquals(0f, y[0]);
        assertEquals(0f, y[1]);
        assertEquals(1f, y[2]);
        x[3] = Float.NaN;
        assertTrue(Float.isNaN(exp(x)[3]));
    }

    @Test
    void softmaxSumsAreInDouble() {
        float[] x = new float[32000 + 3];
        java.util.Arrays.fill(x, 0f);
        assertEquals(x.length, VectorMath.expSum(x, 0, x.length, 0f, false), 0.0);
    }
}
