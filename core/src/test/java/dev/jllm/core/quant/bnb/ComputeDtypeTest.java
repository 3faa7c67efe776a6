package dev.jllm.core.quant.bnb;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ComputeDtypeTest {
    @Test
    void floatRoundingEqualsTheDoubleRoundingForEveryKindOfValue() {
        SplittableRandom r = new SplittableRandom(5);
        float[] special = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1f + 0x1p-8f, 1f + 0x1p-8f + 0x1p-23f, 65504f, 65520f, 1e-8f};
        for (ComputeDtype d : ComputeDtype.values()) {
            for (float v : special) assertEquals((float) d.round(v), d.round(v), d + " " + v);
            for (int i = 0; i < 200_000; i++) {
                float v = Float.intBitsToFloat(r.nextInt());
                if (Float.isNaN(v)) assertTrue(Float.isNaN(d.round(v)), d + " keeps NaN");
                else assertEquals(Float.floatToIntBits((float) d.round(v)), Float.floatToIntBits(d.round(v)), d + " " + v);
            }
        }
    }

    @Test
    void parsesTransformersNames() {
        assertEquals(ComputeDtype.BFLOAT16, ComputeDtype.parse("torch.bfloat16"));
        assertEquals(ComputeDtype.FLOAT16, ComputeDtype.parse("fp16"));
        assertEquals(ComputeDtype.FLOAT32_EXACT, ComputeDtype.parse("float32"));
        assertThrows(dev.jllm.core.JllmException.class, () -> ComputeDtype.parse("int4"));
    }
}
