package dev.jllm.bench;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.tensor.WeightMatrix;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Decode roofline: {@code streamRead} reads {@code workingSetMiB} of memory per call as two interleaved streams per
 * thread (bandwidth = bytes / time; `KernelReport decode` takes the best of 1, 2 and 4 streams);
 * {@code matvec} multiplies one 4096×4096 matrix of the set per call, cycling through a set of at least
 * {@code workingSetMiB} so the weights come from DRAM (GB/s = matrix bytes / time; rows/s = 4096 / time).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class DecodeBenchmark {
    @Param({"F32", "BF16", "Q8_0", "Q4_K"})
    public String type;
    @Param({"1024"})
    public int workingSetMiB;
    @Param({"2"})
    public int threads;

    Arena arena;
    MemorySegment buffer;
    WeightMatrix[] set;
    float[] x = new float[4096], y = new float[4096];
    int next;

    @Setup(Level.Trial)
    public void setup() {
        Parallel.setThreads(threads);
        arena = Arena.ofShared();
        buffer = DecodeWorkload.filledBuffer(arena, (long) workingSetMiB << 20);
        GgmlType t = GgmlType.valueOf(type);
        set = DecodeWorkload.weightSet(arena, t, 4096, 4096, DecodeWorkload.countFor(t, 4096, 4096, (long) workingSetMiB << 20), 7);
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
    }

    @TearDown(Level.Trial)
    public void close() {
        arena.close();
    }

    @Benchmark
    public double streamRead() {
        return DecodeWorkload.streamRead(buffer, 2);
    }

    @Benchmark
    public float[] matvec() {
        set[next].matvec(x, y);
        next = (next + 1) % set.length;
        return y;
    }
}
