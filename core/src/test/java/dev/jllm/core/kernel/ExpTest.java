package dev.jllm.core.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ExpTest {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

    /** Every float from −104 to 89 in steps of about 1/4096, plus the ends: within 2 ulp of the exact value. */
    @Test
    void withinTwoUlpOverTheWholeRange() {
        double worst = 0;
        for (float x = -104f; x <= 89f; x += 0.000244140625f) {
            double exact = Math.exp(x);
            float got = Exp.exp(x);
            if (exact > Float.MAX_VALUE) {
                assertEquals(Float.POSITIVE_INFINITY, got, "x=" + x);
                continue;
            }
            // subnormal results have an absolute ulp; measure against the ulp of the correctly rounded float
            double ulps = Math.abs(got - exact) / Math.ulp((float) exact);
            worst = Math.max(worst, ulps);
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp");
    }

    @Test
    void specialValues() {
        assertEquals(1f, Exp.exp(0f));
        assertEquals(0f, Exp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, Exp.exp(-200f));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(100f));
        assertTrue(Float.isNaN(Exp.exp(Float.NaN)));
        assertEquals((float) Math.E, Exp.exp(1f), Math.ulp((float) Math.E));
    }

    /** The vector form equals the scalar one bit for bit, in every lane, warm or cold. */
    @Test
    void vectorLanesEqualTheScalarTwin() {
        var random = new java.util.Random(5);
        float[] x = new float[F.length()];
        float[] y = new float[F.length()];
        for (int round = 0; round < 20_000; round++) {
            for (int i = 0; i < x.length; i++) {
                x[i] = switch (random.nextInt(10)) {
                    case 0 -> Float.NEGATIVE_INFINITY;
                    case 1 -> (float) (random.nextGaussian() * 100);
                    case 2 -> -87.5f + random.nextFloat() * 20;
                    default -> (float) (random.nextGaussian() * 8);
                };
            }
            Exp.exp(FloatVector.fromArray(F, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(Exp.exp(x[i])), Float.floatToRawIntBits(y[i]), "x=" + x[i]);
            }
        }
    }
}
