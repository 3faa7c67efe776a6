package dev.jllm.core.onnx;

import dev.jllm.core.JllmException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * An initializer: name, ONNX element type, dims, and its little-endian bytes ({@code raw_data}, or the typed
 * repeated field re-encoded).
 */
public record OnnxTensor(String name, int dataType, long[] dims, MemorySegment data) {
    public static final int FLOAT = 1, INT32 = 6, INT64 = 7, FLOAT16 = 10, DOUBLE = 11;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public long elementCount() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    public float[] toFloatArray() {
        if (dataType != FLOAT) throw new JllmException("ONNX initializer '" + name + "' has data type " + dataType + ", expected FLOAT (1)");
        checkSize(4);
        float[] out = new float[Math.toIntExact(elementCount())];
        for (int i = 0; i < out.length; i++) out[i] = data.get(F32, 4L * i);
        return out;
    }

    public long[] toLongArray() {
        long[] out = new long[Math.toIntExact(elementCount())];
        if (dataType == INT64) {
            checkSize(8);
            for (int i = 0; i < out.length; i++) out[i] = data.get(I64, 8L * i);
        } else if (dataType == INT32) {
            checkSize(4);
            for (int i = 0; i < out.length; i++) out[i] = data.get(I32, 4L * i);
        } else {
            throw new JllmException("ONNX initializer '" + name + "' has data type " + dataType + ", expected INT64 or INT32");
        }
        return out;
    }

    private void checkSize(int elementBytes) {
        if (data.byteSize() != elementCount() * elementBytes) {
            throw new JllmException("ONNX initializer '" + name + "' holds " + data.byteSize() + " bytes for "
                    + elementCount() + " elements of " + elementBytes + " bytes");
        }
    }
}
