package dev.jllm.core.safetensors;

import dev.jllm.core.JllmException;
import dev.jllm.core.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * One tensor of a safetensors file: little-endian row-major data, usually a slice of a memory-mapped file.
 * Shapes are in PyTorch order (a linear weight is {@code [out, in]}).
 */
public record SafeTensor(String name, DType dtype, long[] shape, MemorySegment data) {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** The values widened to float (F32, F16, BF16, F64 narrowed); copies into a new heap array. */
    public float[] toFloatArray() {
        long n = elementCount();
        if (n > Integer.MAX_VALUE - 8) throw new JllmException("tensor '" + name + "' has " + n + " elements, too many for one Java array");
        float[] out = new float[(int) n];
        switch (dtype) {
            case F32 -> MemorySegment.copy(data, F32, 0, out, 0, out.length);
            case F16 -> { for (int i = 0; i < out.length; i++) out[i] = DType.f16ToFloat(data.get(I16, 2L * i)); }
            case BF16 -> { for (int i = 0; i < out.length; i++) out[i] = DType.bf16ToFloat(data.get(I16, 2L * i)); }
            case F64 -> { for (int i = 0; i < out.length; i++) out[i] = (float) data.get(F64, 8L * i); }
            default -> throw new JllmException("tensor '" + name + "' has dtype " + dtype + ", expected a floating-point type");
        }
        return out;
    }

    /** The values as doubles (F64 exactly, other float types widened). */
    public double[] toDoubleArray() {
        if (dtype == DType.F64) {
            double[] out = new double[Math.toIntExact(elementCount())];
            MemorySegment.copy(data, F64, 0, out, 0, out.length);
            return out;
        }
        float[] f = toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) out[i] = f[i];
        return out;
    }

    /** An F32 tensor on the heap. */
    public static SafeTensor ofFloats(String name, long[] shape, float[] values) {
        MemorySegment seg = MemorySegment.ofArray(new byte[values.length * 4]);
        MemorySegment.copy(values, 0, seg, F32, 0, values.length);
        SafeTensor t = new SafeTensor(name, DType.F32, shape.clone(), seg);
        if (t.elementCount() != values.length) throw new IllegalArgumentException(name + ": shape does not match " + values.length + " values");
        return t;
    }

    /** A tensor of any dtype over the given little-endian bytes. */
    public static SafeTensor ofBytes(String name, DType dtype, long[] shape, byte[] bytes) {
        SafeTensor t = new SafeTensor(name, dtype, shape.clone(), MemorySegment.ofArray(bytes));
        if (t.elementCount() * dtype.byteSize() != bytes.length) throw new IllegalArgumentException(name + ": shape does not match " + bytes.length + " bytes");
        return t;
    }
}
