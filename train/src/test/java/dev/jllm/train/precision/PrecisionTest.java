package dev.jllm.train.precision;

import dev.jllm.core.JllmException;
import dev.jllm.core.tensor.DType;
import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rounding to bf16 and fp16 against hand-computed bit patterns, and GradScaler's state machine. */
class PrecisionTest {

    private static short bf16(int floatBits) {
        return Precision.BF16.encode(Float.intBitsToFloat(floatBits));
    }

    private static void assertBits(int expected, short actual, String what) {
        assertEquals(expected, actual & 0xFFFF, () -> what + ": expected 0x" + Integer.toHexString(expected) + ", got 0x" + Integer.toHexString(actual & 0xFFFF));
    }

    @Test
    void bf16RoundsToNearestTiesToEven() {
        assertBits(0x3F80, bf16(0x3F800000), "1.0 exact");
        assertBits(0x3F80, bf16(0x3F807FFF), "just below half an ulp rounds down");
        assertBits(0x3F80, bf16(0x3F808000), "a tie rounds to the even 0x3F80");
        assertBits(0x3F81, bf16(0x3F808001), "just above half an ulp rounds up");
        assertBits(0x3F82, bf16(0x3F818000), "a tie above the odd 0x3F81 rounds up to the even 0x3F82");
        assertBits(0xBF81, bf16(0xBF808001), "negative values round by magnitude");
        assertBits(0x4000, bf16(0x3FFFFFFF), "a mantissa carry bumps the exponent: 1.999... -> 2.0");
        assertBits(0x7F7F, bf16(0x7F7F0000), "the largest bf16 stays");
        assertBits(0x7F80, bf16(0x7F7FFFFF), "float32's largest value overflows to infinity");
        assertBits(0x7F80, bf16(0x7F800000), "infinity stays");
        assertBits(0xFF80, bf16(0xFF800000), "negative infinity stays");
        assertBits(0x0000, bf16(0x00000001), "the smallest subnormal rounds to zero");
        assertBits(0x0000, bf16(0x00008000), "a subnormal tie rounds to the even zero");
        assertBits(0x0002, bf16(0x00018000), "a subnormal tie above an odd pattern rounds up");
        assertBits(0x0001, bf16(0x00010000), "a subnormal bf16 is kept");
        assertTrue(Float.isNaN(Precision.BF16.decode(bf16(0x7F800001))), "a NaN whose payload sits in the low bits stays NaN, not infinity");
        assertEquals(1.0f, Precision.BF16.round(1.00390625f), "1 + 2^-8 is a tie: even 1.0");
        assertEquals(1.0078125f, Precision.BF16.round(1.005f));
    }

    @Test
    void fp16RoundsAsIeeeBinary16() {
        Precision h = Precision.FP16;
        assertBits(0x3C00, h.encode(1f), "1.0");
        assertBits(0xC000, h.encode(-2f), "-2.0");
        assertBits(0x3C00, h.encode(1f + 0x1p-11f), "1 + half an ulp is a tie: even 1.0");
        assertBits(0x3C02, h.encode(1f + 3 * 0x1p-11f), "a tie above the odd 0x3C01 rounds up");
        assertBits(0x3C01, h.encode(1f + 0x1p-11f + 0x1p-20f), "above the tie rounds up");
        assertBits(0x7BFF, h.encode(65504f), "the largest fp16");
        assertBits(0x7BFF, h.encode(65519f), "below the overflow threshold rounds down to 65504");
        assertBits(0x7C00, h.encode(65520f), "the tie at 65520 rounds to the even pattern, infinity");
        assertBits(0x7C00, h.encode(1e6f), "overflow to infinity");
        assertBits(0xFC00, h.encode(-1e6f), "negative overflow to negative infinity");
        assertBits(0x0001, h.encode(0x1p-24f), "the smallest subnormal");
        assertBits(0x0000, h.encode(0x1p-25f), "half the smallest subnormal is a tie: even zero");
        assertBits(0x0001, h.encode(0x1p-25f + 0x1p-35f), "just above that tie rounds up");
        assertBits(0x0002, h.encode(1.5f * 0x1p-24f), "a subnormal tie above an odd pattern rounds up");
        assertBits(0x03FF, h.encode(1023 * 0x1p-24f), "the largest subnormal");
        assertBits(0x0400, h.encode(0x1p-14f), "the smallest normal");
        assertEquals(Float.POSITIVE_INFINITY, h.round(70000f));
        assertEquals(0.0999755859375f, h.round(0.1f));
        assertTrue(Float.isNaN(h.round(Float.NaN)));
    }

    @Test
    void arrayRoundingEqualsScalarRoundingAndCoresConversion() {
        Random r = new Random(1);
        float[] x = new float[10_007];
        for (int i = 0; i < x.length; i++) {
            x[i] = switch (i % 4) {
                case 0 -> (float) r.nextGaussian();
                case 1 -> Float.intBitsToFloat(r.nextInt());            // any pattern: subnormals, NaNs, infinities
                case 2 -> (float) (r.nextGaussian() * 1e5);
                default -> Float.intBitsToFloat(0x3F808000 + (r.nextInt(64) << 16));   // ties
            };
        }
        for (Precision p : List.of(Precision.BF16, Precision.FP16)) {
            float[] rounded = x.clone();
            p.round(rounded, rounded.length);
            short[] bits = new short[x.length];
            p.encode(x, 0, bits, 0, x.length);
            float[] decoded = new float[x.length];
            p.decode(bits, 0, decoded, 0, x.length);
            for (int i = 0; i < x.length; i++) {
                float s = p.round(x[i]);
                int at = i;
                assertEquals(Float.floatToIntBits(s), Float.floatToIntBits(rounded[i]), () -> p + " vector vs scalar at " + at + " for " + x[at]);
                assertEquals(Float.floatToIntBits(s), Float.floatToIntBits(decoded[i]), () -> p + " encode/decode at " + at);
                if (p == Precision.BF16 && !Float.isNaN(x[i])) assertEquals(DType.floatToBf16(x[i]), bits[i], () -> "core's bf16 conversion at " + at);
            }
        }
        float[] same = x.clone();
        Precision.FP32.round(same, same.length);
        assertTrue(java.util.Arrays.equals(x, same), "FP32 rounding is the identity");
    }

    @Test
    void bothFlagsAreAnError() {
        var e = assertThrows(JllmException.class, () -> Precision.of(true, true));
        assertTrue(e.getMessage().contains("bf16") && e.getMessage().contains("fp16"), e.getMessage());
        assertEquals(Precision.BF16, Precision.of(true, false));
        assertEquals(Precision.FP16, Precision.of(false, true));
        assertEquals(Precision.FP32, Precision.of(false, false));
    }

    @Test
    void gradScalerUnscalesDetectsOverflowBacksOffAndGrows() {
        Parameter p = Parameter.zeros("w", 3);
        p.setTrainable(true);
        GradScaler s = new GradScaler();
        assertEquals(65536f, s.scale());
        p.grad()[0] = 65536f;
        p.grad()[1] = -131072f;
        assertFalse(s.unscale(List.of(p)));
        assertEquals(1f, p.grad()[0]);
        assertEquals(-2f, p.grad()[1]);
        p.grad()[2] = Float.POSITIVE_INFINITY;
        assertTrue(s.unscale(List.of(p)));
        p.grad()[2] = Float.NaN;
        assertTrue(s.unscale(List.of(p)));

        s.update(true);
        assertEquals(32768f, s.scale());
        for (int i = 0; i < GradScaler.GROWTH_INTERVAL - 1; i++) s.update(false);
        assertEquals(32768f, s.scale());
        assertEquals(GradScaler.GROWTH_INTERVAL - 1, s.growthTracker());
        s.update(false);
        assertEquals(65536f, s.scale(), "doubles after growth_interval clean steps");
        assertEquals(0, s.growthTracker());
        s.update(false);
        s.update(true);
        assertEquals(32768f, s.scale());
        assertEquals(0, s.growthTracker(), "an overflow resets the run of clean steps");
    }
}
