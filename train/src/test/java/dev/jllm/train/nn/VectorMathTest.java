package dev.jllm.train.nn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class VectorMathTest {
    @Test
    void softmaxSumsAreInDoubleAndMaskedScoresGiveZero() {
        float[] x = new float[32000 + 3];
        assertEquals(x.length, VectorMath.expSum(x, 0, x.length, 0f, false), 0.0);
        java.util.Arrays.fill(x, Float.NEGATIVE_INFINITY);
        x[5] = 0f;
        assertEquals(1.0, VectorMath.expSum(x, 0, x.length, 0f, true), 0.0);
        assertEquals(0f, x[0]);
        assertEquals(1f, x[5]);
    }
}
