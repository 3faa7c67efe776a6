package dev.jllm.core.gguf;

import java.lang.foreign.MemorySegment;

/**
 * One tensor of a GGUF file. {@code shape} is in GGUF order: {@code shape[0]} is the fastest-varying dimension
 * (the columns of a matrix), so a PyTorch {@code [out, in]} weight appears as {@code [in, out]}.
 *
 * @param offset absolute byte offset of the data in the file
 * @param data   the tensor's bytes, a slice of the memory-mapped file
 */
public record GgufTensor(String name, GgmlType type, long[] shape, long offset, MemorySegment data) {
    public long elementCount() {
        long n = 1;
        for (long d : shape) n = Math.multiplyExact(n, d);
        return n;
    }

    /** Number of rows when seen as a matrix of {@code shape[0]} columns. */
    public long rows() {
        return shape.length == 0 ? 1 : elementCount() / shape[0];
    }

    public long cols() {
        return shape.length == 0 ? 1 : shape[0];
    }
}
