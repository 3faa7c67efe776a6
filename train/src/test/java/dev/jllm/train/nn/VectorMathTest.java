package dev.jllm.train.nn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The exponential itself is core's {@code Exp} (tested there); here, what VectorMath adds to it. */
class VectorMathTest {
    @Test
    void softmaxSumsAreInDouble() {
        float[] x = new float[32000 + 3];
        java.util.Arrays.fill(x, 0f);
        assertEquals(x.length, VectorMath.expSum(x, 0, x.length, 0f, false), 0.0);
    }

    @Test
    void maskedScoresContributeExactlyNothing() {
        float[] x = new float[40];
        java.util.Arrays.fill(x, Float.NEGATIVE_INFINITY);
        x[7] = 2f;
        assertEquals(1.0, VectorMath.expSum(x, 0, x.length, 2f, true), 0.0);
        for (int i = 0; i < x.length; i++) assertEquals(i == 7 ? 1f : 0f, x[i]);
    }
}
