package dev.jllm.bench;

import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Parallel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * SGEMM at transformer shapes (M = 512 tokens, K and N from {576, 1536, 2048, 4096}), jllm against OpenBLAS. Score is
 * milliseconds per call; GFLOP/s = 2·M·N·K / time. {@code jllmPacked} has B packed once outside the timed region
 * (how model weights are used); {@code jllm} packs per call, as OpenBLAS does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class SgemmBenchmark {
    @Param({"512"})
    public int m;
    @Param({"576", "1536", "2048", "4096"})
    public int n;
    @Param({"576", "1536", "2048", "4096"})
    public int k;
    @Param({"1", "2"})
    public int threads;

    float[] a, b, c;
    Gemm.PackedB packed;

    @Setup
    public void setup() {
        Random r = new Random(42);
        a = new float[m * k];
        b = new float[n * k];
        c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat() - 0.5f;
        for (int i = 0; i < b.length; i++) b[i] = r.nextFloat() - 0.5f;
        Parallel.setThreads(threads);
        OpenBlas.setThreads(threads);
        packed = Gemm.pack(b, n, k);
    }

    @Benchmark
    public float[] jllm() {
        Gemm.sgemm(m, n, k, a, b, c);
        return c;
    }

    @Benchmark
    public float[] jllmPacked() {
        Gemm.sgemm(m, a, packed, c);
        return c;
    }

    @Benchmark
    public float[] openblas() {
        OpenBlas.sgemm(m, n, k, a, b, c);
        return c;
    }
}
