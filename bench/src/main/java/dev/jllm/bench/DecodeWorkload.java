package dev.jllm.bench;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.memory.ModelMemory;
import dev.jllm.core.quant.GgmlQuants;
import dev.jllm.core.tensor.DType;
import dev.jllm.core.tensor.WeightMatrix;
import dev.jllm.model.bench.ModelBenchmark;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

/**
 * The decode-bound workloads: a read-only streaming pass over a large buffer (the bandwidth roofline) and matvecs over
 * a set of weight matrices whose total size exceeds the caches, so every matvec streams its weights from DRAM.
 */
public final class DecodeWorkload {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private DecodeWorkload() {}

    /**
     * Reads the buffer on all kernel threads as {@code streams} interleaved sequential streams per thread
     * ({@link ModelBenchmark#readPass}, the reader behind {@code jllm bench}'s roofline); returns the sum so the JIT
     * cannot drop the reads.
     */
    public static double streamRead(MemorySegment buffer, int streams) {
        return ModelBenchmark.readPass(buffer, streams);
    }

    public static MemorySegment filledBuffer(Arena arena, long bytes) {
        return filledBuffer(arena, bytes, false);
    }

    /** {@code hugePages}: in 2 MiB pages ({@link ModelMemory#allocateHuge}) rather than ordinary 4 KiB ones. */
    public static MemorySegment filledBuffer(Arena arena, long bytes, boolean hugePages) {
        MemorySegment s = hugePages ? ModelMemory.allocateHuge(bytes, arena) : arena.allocate(bytes, 4096);
        s.fill((byte) 0x3c);
        return s;
    }

    /**
     * {@code count} distinct [rows, cols] matrices of {@code type} in native memory (quantized once from Gaussian
     * values, then copied, so building a big set stays fast).
     */
    public static WeightMatrix[] weightSet(Arena arena, GgmlType type, int rows, int cols, int count, long seed) {
        return weightSet(arena, type, rows, cols, count, seed, false);
    }

    /** As {@link #weightSet(Arena, GgmlType, int, int, int, long)}, in 2 MiB pages when {@code hugePages}. */
    public static WeightMatrix[] weightSet(Arena arena, GgmlType type, int rows, int cols, int count, long seed,
                                           boolean hugePages) {
        Random r = new Random(seed);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian() * 0.02f;
        MemorySegment proto = switch (type) {
            case F32 -> MemorySegment.ofArray(w);
            case F16, BF16 -> {
                MemorySegment s = MemorySegment.ofArray(new short[w.length]);
                for (int i = 0; i < w.length; i++) {
                    s.setAtIndex(ValueLayout.JAVA_SHORT, i, type == GgmlType.BF16 ? DType.floatToBf16(w[i]) : DType.floatToF16(w[i]));
                }
                yield s;
            }
            default -> GgmlQuants.quantize(type, w);
        };
        WeightMatrix[] set = new WeightMatrix[count];
        long stride = (proto.byteSize() + 4095) & ~4095L;
        MemorySegment all = hugePages ? ModelMemory.allocateHuge(stride * count, arena) : null;
        for (int i = 0; i < count; i++) {
            MemorySegment seg = hugePages ? all.asSlice(i * stride, proto.byteSize()) : arena.allocate(proto.byteSize(), 4096);
            seg.copyFrom(proto);
            set[i] = WeightMatrix.of(type, seg, rows, cols);
        }
        return set;
    }

    /** How many matrices of this type make at least {@code bytes} of weights. */
    public static int countFor(GgmlType type, int rows, int cols, long bytes) {
        long each = type.byteSize((long) rows * cols);
        return (int) Math.max(2, (bytes + each - 1) / each);
    }
}
