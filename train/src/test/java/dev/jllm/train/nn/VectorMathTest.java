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

    @Test
    void indexOfFindsTheFirstEqualElement() {
        float[] x = new float[100];
        for (int i = 0; i < x.length; i++) x[i] = i % 37;
        assertEquals(5, VectorMath.indexOf(x, 0, 100, 5f));
        assertEquals(42, VectorMath.indexOf(x, 6, 100, 5f));   // the next occurrence past `from`
        assertEquals(79, VectorMath.indexOf(x, 43, 100, 5f));  // in the scalar tail
        assertEquals(-1, VectorMath.indexOf(x, 0, 100, 40f));
        assertEquals(-1, VectorMath.indexOf(x, 0, 100, Float.NaN));
        x[20] = -0f;
        assertEquals(0, VectorMath.indexOf(x, 0, 100, -0f)); // == does not tell the zeros apart
    }
}
