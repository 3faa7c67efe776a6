package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bnb4bitQuantizerTest {
    @TempDir
    Path dir;

    /** The kernel element by element, as bitsandbytes' quantize_4bit describes it: the specification the blocks follow. */
    private static byte[] referencePacked(float[] v, QuantType type, float[] absmaxOut) {
        int n = v.length;
        int[] idx = new int[n + 1];
        idx[n] = type.zeroCode();
        for (int b = 0; b * 64 < n; b++) {
            float max = 0;
            for (int i = b * 64; i < Math.min(n, b * 64 + 64); i++) max = Math.max(max, Math.abs(v[i]));
            absmaxOut[b] = max;
            for (int i = b * 64; i < Math.min(n, b * 64 + 64); i++) idx[i] = type.index(v[i] * (1.0f / max));
        }
        byte[] packed = new byte[(n + 1) / 2];
        for (int i = 0; i < packed.length; i++) packed[i] = (byte) (idx[2 * i] << 4 | idx[2 * i + 1]);
        return packed;
    }

    private static float[] values(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * 0.02);
        for (int i = 640; i < 704 && i < n; i++) v[i] = 0;   // an all-zero block
        return v;
    }

    private static SafeTensor tensor(String name, DType dtype, long[] shape, float[] v) {
        int width = switch (dtype) {
            case F32 -> 4;
            case F64 -> 8;
            default -> 2;
        };
        ByteBuffer bb = ByteBuffer.allocate(v.length * width).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            switch (dtype) {
                case F32 -> bb.putFloat(x);
                case F64 -> bb.putDouble(x);
                case BF16 -> bb.putShort(DType.floatToBf16(x));
                default -> bb.putShort(DType.floatToF16(x));
            }
        }
        return SafeTensor.ofBytes(name, dtype, shape, bb.array());
    }

    @Test
    void streamingFromAMappedFileEqualsTheKernelForEveryDtype() {
        // 300,001 values: more than one parallel task of blocks, an odd count, a short last block
        long[] shape = {300_001};
        float[] v = values(300_001, 3);
        for (DType dtype : new DType[]{DType.F32, DType.BF16, DType.F16, DType.F64}) {
            Path file = dir.resolve(dtype + ".safetensors");
            SafetensorsWriter.write(file, List.of(tensor("w", dtype, shape, v)), Map.of());
            try (SafetensorsFile f = SafetensorsFile.open(file)) {
                SafeTensor t = f.tensor("w");
                float[] widened = t.toFloatArray();
                for (QuantType type : QuantType.values()) {
                    float[] absmax = new float[(widened.length + 63) / 64];
                    byte[] packed = referencePacked(widened, type, absmax);
                    Bnb4bitWeight plain = Bnb4bitQuantizer.quantize(t, type, false);
                    assertArrayEquals(packed, plain.packed(), dtype + " " + type);
                    assertArrayEquals(absmax, plain.absmax(), dtype + " " + type);
                    Bnb4bitWeight nested = Bnb4bitQuantizer.quantize(t, type, true);
                    assertArrayEquals(packed, nested.packed());
                    DoubleQuant expected = DoubleQuant.of(absmax);
                    assertArrayEquals(expected.absmaxQ(), nested.nested().absmaxQ());
                    assertArrayEquals(expected.nestedAbsmax(), nested.nested().nestedAbsmax());
                }
                // pages given back are read again from the file, unchanged
                assertArrayEquals(widened, t.toFloatArray());
            }
        }
    }

    @Test
    void arrayPathIsTheSameKernel() {
        float[] v = values(4097, 9);
        float[] absmax = new float[65];
        byte[] packed = referencePacked(v, QuantType.NF4, absmax);
        Bnb4bitWeight w = Bnb4bitWeight.quantize(v, new long[]{17, 241}, QuantType.NF4, false);
        assertArrayEquals(packed, w.packed());
        assertArrayEquals(absmax, w.absmax());
    }

    @Test
    void refusesAShapeThatDoesNotHoldTheValues() {
        var e = assertThrows(JllmException.class, () -> Bnb4bitWeight.quantize(new float[10], new long[]{3, 4}, QuantType.NF4, false));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("10"), e.getMessage());
        var t = SafeTensor.ofBytes("ids", DType.I32, new long[]{2}, new byte[8]);
        var e2 = assertThrows(JllmException.class, () -> Bnb4bitQuantizer.quantize(t, QuantType.NF4, false));
        assertTrue(e2.getMessage().contains("'ids'") && e2.getMessage().contains("I32"), e2.getMessage());
    }
}
