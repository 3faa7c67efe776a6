package dev.jllm.train.quant;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class HalfLinearTest {
    private static float[] randomValues(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
        return v;
    }

    @Test
    void sixteenBitValuesRoundTripExactly() {
        for (DType format : new DType[]{DType.BF16, DType.F16}) {
            float[] once = HalfLinear.of(randomValues(37 * 53, 1), 37, 53, format).dequantized();
            HalfLinear again = HalfLinear.of(once, 37, 53, format);
            assertArrayEquals(once, again.dequantized(), format + ": a 16-bit value re-encodes to itself");
            // every bit pattern that is a number survives widening and narrowing
            short[] all = new short[1 << 16];
            int n = 0;
            for (int b = 0; b < 1 << 16; b++) {
                float v = format == DType.BF16 ? DType.bf16ToFloat((short) b) : DType.f16ToFloat((short) b);
                if (!Float.isNaN(v)) all[n++] = (short) b;
            }
            short[] bits = java.util.Arrays.copyOf(all, n);
            HalfLinear table = new HalfLinear(bits, 1, n, format);
            assertArrayEquals(bits, HalfLinear.of(table.dequantized(), 1, n, format).bits(), format + ": all bit patterns");
        }
    }

    @Test
    void roundsToNearestEvenAsTorchDoes() {
        // 1 + 2^-8 is halfway between two bf16 neighbours 1 and 1 + 2^-7: ties go to the even one (1)
        assertEquals(1f, HalfLinear.of(new float[]{1f + 0x1p-8f}, 1, 1, DType.BF16).dequantized()[0]);
        assertEquals(1f + 0x1p-7f, HalfLinear.of(new float[]{1f + 0x1p-8f + 0x1p-20f}, 1, 1, DType.BF16).dequantized()[0]);
        assertEquals(1f, HalfLinear.of(new float[]{1f + 0x1p-11f}, 1, 1, DType.F16).dequantized()[0]);
    }

    @Test
    void fromSafetensorsCopiesBf16AndRoundsOtherDtypes() {
        float[] v = randomValues(6 * 10, 2);
        SafeTensor f32 = SafeTensor.ofFloats("w", new long[]{6, 10}, v);
        HalfLinear rounded = HalfLinear.of(f32, DType.BF16);
        assertArrayEquals(HalfLinear.of(v, 6, 10, DType.BF16).bits(), rounded.bits());
        ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short s : rounded.bits()) b.putShort(s);
        SafeTensor bf16 = SafeTensor.ofBytes("w", DType.BF16, new long[]{6, 10}, b.array());
        assertArrayEquals(rounded.bits(), HalfLinear.of(bf16).bits());
        assertArrayEquals(rounded.bits(), HalfLinear.of(bf16, DType.BF16).bits());
        assertArrayEquals(HalfLinear.of(v, 6, 10, DType.F16).bits(), HalfLinear.of(f32, DType.F16).bits());
        assertThrows(dev.jllm.core.JllmException.class, () -> HalfLinear.of(f32));
    }

    @Test
    void productsAndLookupMatchTheWidenedMatrix() {
        int rows = 70, cols = 33, n = 9;
        for (DType format : new DType[]{DType.BF16, DType.F16}) {
            HalfLinear w = HalfLinear.of(randomValues(rows * cols, 3), rows, cols, format);
            float[] dense = w.dequantized();
            float[] x = randomValues(n * cols, 4), dy = randomValues(n * rows, 5);
            float[] y = new float[n * rows], want = new float[n * rows];
            w.forward(y, x, n);
            Gemm.gemm(false, true, n, rows, cols, x, 0, dense, 0, want, 0, false);
            assertArrayEquals(want, y);
            float[] dx = new float[n * cols], wantDx = new float[n * cols];
            w.inputGradient(dx, dy, n, false);
            Gemm.gemm(false, false, n, cols, rows, dy, 0, dense, 0, wantDx, 0, false);
            assertArrayEquals(wantDx, dx);
            int[] ids = {5, 0, 69, 5};
            float[] got = new float[ids.length * cols];
            w.gather(got, ids);
            for (int t = 0; t < ids.length; t++) {
                for (int c = 0; c < cols; c++) assertEquals(dense[ids[t] * cols + c], got[t * cols + c]);
            }
            assertThrows(IllegalArgumentException.class, () -> w.gather(new float[cols], new int[]{70}));
        }
    }
}
