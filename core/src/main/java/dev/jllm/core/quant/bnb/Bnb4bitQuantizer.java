package dev.jllm.core.quant.bnb;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * bitsandbytes' {@code quantize_4bit(blocksize=64)}, block by block from any source of row-major values. Loading a
 * model in 4-bit streams each tensor from its memory-mapped file through here: only a block's 64 floats exist at a
 * time, and the file pages already read are handed back to the OS, so a model far larger than memory quantizes in the
 * memory of its 4-bit result.
 */
public final class Bnb4bitQuantizer {
    /** Blocks per parallel task; after each task its part of a mapped source is released. */
    private static final int BLOCKS_PER_TASK = 4096;
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Bnb4bitQuantizer() {}

    /** Row-major values read in ranges. Reads of different ranges may run on different threads at once. */
    public interface Source {
        /** Copies elements {@code [from, from + n)} into {@code dst[0, n)}. */
        void read(long from, float[] dst, int n);

        /** Elements {@code [from, to)} will not be read again (a mapped source gives their pages back). */
        default void release(long from, long to) {}
    }

    /** Quantizes row-major values held in an array. */
    public static Bnb4bitWeight quantize(float[] values, long[] shape, QuantType type, boolean doubleQuant) {
        return quantize((from, dst, n) -> System.arraycopy(values, (int) from, dst, 0, n), values.length, shape, type, doubleQuant);
    }

    /**
     * Quantizes a safetensors tensor (F32, F16, BF16 or F64) straight from its data, widening each block to float as
     * bitsandbytes quantizes a float tensor; the pages of a memory-mapped tensor are released as they are done.
     */
    public static Bnb4bitWeight quantize(SafeTensor tensor, QuantType type, boolean doubleQuant) {
        MemorySegment data = tensor.data();
        DType dtype = tensor.dtype();
        int width = switch (dtype) {
            case F32 -> 4;
            case F16, BF16 -> 2;
            case F64 -> 8;
            default -> throw new JllmException("tensor '" + tensor.name() + "' has dtype " + dtype + ", expected a floating-point type to quantize");
        };
        Source source = new Source() {
            @Override
            public void read(long from, float[] dst, int n) {
                long off = from * width;
                switch (dtype) {
                    case F32 -> MemorySegment.copy(data, F32, off, dst, 0, n);
                    case BF16 -> { for (int i = 0; i < n; i++) dst[i] = DType.bf16ToFloat(data.get(I16, off + 2L * i)); }
                    case F16 -> { for (int i = 0; i < n; i++) dst[i] = DType.f16ToFloat(data.get(I16, off + 2L * i)); }
                    default -> { for (int i = 0; i < n; i++) dst[i] = (float) data.get(F64, off + 8L * i); }
                }
            }

            @Override
            public void release(long from, long to) {
                // madvise(DONTNEED) on a read-only file mapping: the pages stay in the page cache, out of our RSS
                if (data.isMapped()) data.asSlice(from * width, (to - from) * width).unload();
            }
        };
        return quantize(source, tensor.elementCount(), tensor.shape(), type, doubleQuant);
    }

    /**
     * The kernel: each block of 64 is scaled by its absmax and every element takes the code the CUDA kernel picks;
     * two codes per byte, the first in the high nibble, an odd last element paired with the zero code.
     */
    public static Bnb4bitWeight quantize(Source source, long count, long[] shape, QuantType type, boolean doubleQuant) {
        long shapeCount = 1;
        for (long d : shape) shapeCount = Math.multiplyExact(shapeCount, d);
        if (shapeCount != count) throw new JllmException("4-bit quantization: shape " + Arrays.toString(shape) + " holds " + shapeCount + " values, got " + count);
        if (count > 2L * (Integer.MAX_VALUE - 8)) throw new JllmException("4-bit quantization: " + count + " values are too many for one tensor");
        int blocks = Math.toIntExact((count + Bnb4bitWeight.BLOCK - 1) / Bnb4bitWeight.BLOCK);
        float[] absmax = new float[blocks];
        byte[] packed = new byte[Math.toIntExact((count + 1) / 2)];
        int tasks = (blocks + BLOCKS_PER_TASK - 1) / BLOCKS_PER_TASK;
        Parallel.forRange(tasks, 1, (worker, firstTask, endTask) -> {
            float[] v = new float[Bnb4bitWeight.BLOCK];
            for (int t = firstTask; t < endTask; t++) {
                int b0 = t * BLOCKS_PER_TASK, b1 = Math.min(blocks, b0 + BLOCKS_PER_TASK);
                for (int b = b0; b < b1; b++) {
                    long from = (long) b * Bnb4bitWeight.BLOCK;
                    int n = (int) Math.min(Bnb4bitWeight.BLOCK, count - from);
                    source.read(from, v, n);
                    float max = 0;
                    for (int i = 0; i < n; i++) max = Math.max(max, Math.abs(v[i]));
                    absmax[b] = max;
                    float inv = 1.0f / max;
                    int byteAt = (int) (from >> 1);
                    for (int i = 0; i < n; i += 2) {
                        int hi = type.index(v[i] * inv);
                        int lo = i + 1 < n ? type.index(v[i + 1] * inv) : type.zeroCode();
                        packed[byteAt + (i >> 1)] = (byte) (hi << 4 | lo);
                    }
                }
                source.release((long) b0 * Bnb4bitWeight.BLOCK, Math.min(count, (long) b1 * Bnb4bitWeight.BLOCK));
            }
        });
        // the kernel maps pages around each fault, so a neighbour's already-released range can come back: once more, whole
        source.release(0, count);
        return doubleQuant ? new Bnb4bitWeight(type, shape.clone(), packed, null, DoubleQuant.of(absmax))
                : new Bnb4bitWeight(type, shape.clone(), packed, absmax, null);
    }
}
