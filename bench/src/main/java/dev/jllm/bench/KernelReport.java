package dev.jllm.bench;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Gemm;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.tensor.Q4_KWeights;
import dev.jllm.core.tensor.WeightMatrix;
import dev.jllm.model.arch.Attention;
import dev.jllm.model.bench.ModelBenchmark;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Side-by-side kernel report for noisy shared machines: each contender runs in alternation with its anchor within
 * the same rounds and the best round of each is kept, so the printed ratios compare like with like.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/jllm-bench.jar \
 *      dev.jllm.bench.KernelReport [sgemm] [decode] [kernels] [attention] [rounds=N] [mib=N] [m=512] [threads=1,2] [sizes=576,1536,2048,4096] [pages=4k|2m] [clock=wall|cpu]
 * </pre>
 */
public final class KernelReport {
    private static final int[] SIZES = {576, 1536, 2048, 4096};

    public static void main(String[] args) {
        boolean sgemm = args.length == 0, decode = args.length == 0, kernels = false, attention = false, hugePages = false, cpuClock = false;
        int rounds = 5;
        int mib = 1024;
        int m = 512;
        int[] threadCounts = {1, 2};
        int[] sizes = SIZES;
        for (String a : args) {
            if (a.equals("sgemm")) sgemm = true;
            else if (a.equals("decode")) decode = true;
            else if (a.equals("kernels")) kernels = true;
            else if (a.equals("attention")) attention = true;
            else if (a.startsWith("rounds=")) rounds = Integer.parseInt(a.substring(7));
            else if (a.startsWith("mib=")) mib = Integer.parseInt(a.substring(4));
            else if (a.startsWith("m=")) m = Integer.parseInt(a.substring(2));
            else if (a.startsWith("threads=")) threadCounts = intList(a.substring(8));
            else if (a.startsWith("sizes=")) sizes = intList(a.substring(6));
            else if (a.equals("pages=2m")) hugePages = true;
            else if (a.equals("pages=4k")) hugePages = false;
            else if (a.equals("clock=cpu")) cpuClock = true;
            else if (a.equals("clock=wall")) cpuClock = false;
            else throw new IllegalArgumentException("unknown argument " + a
                        + " (sgemm, decode, kernels, attention, rounds=N, mib=N, m=N, threads=1,2, sizes=576,1536,..., pages=4k|2m, clock=wall|cpu)");
        }
        if (!sgemm && !decode && !kernels && !attention) sgemm = decode = true;
        System.out.println("jllm kernel report: " + Runtime.getRuntime().availableProcessors() + " CPUs, vector species "
                + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED + ", best of " + rounds + " alternating rounds");
        if (sgemm) sgemmReport(rounds, threadCounts, sizes, m);
        if (decode) decodeReport(rounds, mib, hugePages, cpuClock);
        if (kernels) kernelReport(rounds);
        if (attention) attentionReport(rounds);
        System.exit(0);
    }

    private static final java.lang.management.ThreadMXBean THREAD_CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    private static int[] intList(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }

    private static double time(boolean cpuClock, Runnable r) {
        if (!cpuClock) return time(r);
        long t0 = THREAD_CPU.getCurrentThreadCpuTime();
        r.run();
        return (THREAD_CPU.getCurrentThreadCpuTime() - t0) / 1e9;
    }

    private static double time(Runnable r) {
        long t0 = System.nanoTime();
        r.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * SGEMM against OpenBLAS with the same thread count on both sides ({@code openblas_set_num_threads}). Each round
     * times one call of every contender, in an order that rotates from round to round so that load from other
     * processes falls on all of them alike; best and median wall time per contender are reported, and the ratios
     * are taken between numbers of the same kind. With one thread everything runs on the calling thread (OpenBLAS
     * too, with one thread set), so the best calling-thread CPU time per call is reported as well: on a machine
     * shared with other processes it leaves out the time slices taken by them.
     */
    static void sgemmReport(int rounds, int[] threadCounts, int[] sizes, int m) {
        Random rnd = new Random(42);
        warmUp(rnd);
        for (int threads : threadCounts) {
            Parallel.setThreads(threads);
            OpenBlas.setThreads(threads);
            System.out.printf("%nSGEMM C[%d,N] = A[%d,K]·B[N,K]ᵀ, %d thread(s), GFLOP/s: best (median) of alternating calls%n", m, m, threads);
            System.out.printf("%6s %6s %6s %15s %15s %15s %12s %12s%n", "N", "K", "calls", "jllm", "jllm-prepacked", "openblas",
                    "ratio", "pk-ratio");
            double geo = 0, geoPacked = 0, geoMed = 0, geoPackedMed = 0, geoCpu = 0, geoPackedCpu = 0;
            int count = 0;
            for (int n : sizes) {
                for (int k : sizes) {
                    float[] a = new float[m * k], b = new float[n * k], c = new float[m * n];
                    for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat() - 0.5f;
                    for (int i = 0; i < b.length; i++) b[i] = rnd.nextFloat() - 0.5f;
                    Gemm.PackedB packed = Gemm.pack(b, n, k);
                    Runnable[] contenders = {
                            () -> Gemm.sgemm(m, n, k, a, b, c),
                            () -> Gemm.sgemm(m, a, packed, c),
                            () -> OpenBlas.sgemm(m, n, k, a, b, c)};
                    // small shapes get more rounds: at least ~1 s of jllm time per shape, so noise averages out
                    double estimate = 2.0 * m * n * k / (threads * 100e9);
                    int shapeRounds = Math.max(rounds, (int) Math.min(200, 1.0 / estimate));
                    double[][] t = new double[3][shapeRounds];
                    double[] cpuBest = {1e9, 1e9, 1e9};
                    for (int r = -2; r < shapeRounds; r++) {
                        for (int i = 0; i < 3; i++) {
                            int which = Math.floorMod(i + r, 3);
                            long c0 = THREAD_CPU.getCurrentThreadCpuTime();
                            double ti = time(contenders[which]);
                            double ci = (THREAD_CPU.getCurrentThreadCpuTime() - c0) / 1e9;
                            if (r >= 0) {
                                t[which][r] = ti;
                                cpuBest[which] = Math.min(cpuBest[which], ci);
                            }
                        }
                    }
                    double gf = 2.0 * m * n * k / 1e9;
                    double[] best = new double[3], med = new double[3];
                    for (int i = 0; i < 3; i++) {
                        Arrays.sort(t[i]);
                        best[i] = t[i][0];
                        med[i] = t[i][shapeRounds / 2];
                    }
                    System.out.printf("%6d %6d %6d %6.1f (%6.1f) %6.1f (%6.1f) %6.1f (%6.1f) %5.2f (%4.2f) %5.2f (%4.2f)", n, k, shapeRounds,
                            gf / best[0], gf / med[0], gf / best[1], gf / med[1], gf / best[2], gf / med[2],
                            best[2] / best[0], med[2] / med[0], best[2] / best[1], med[2] / med[1]);
                    if (threads == 1) {
                        System.out.printf("   cpu-time: %6.1f %6.1f %6.1f %5.2f %5.2f", gf / cpuBest[0], gf / cpuBest[1], gf / cpuBest[2],
                                cpuBest[2] / cpuBest[0], cpuBest[2] / cpuBest[1]);
                        geoCpu += Math.log(cpuBest[2] / cpuBest[0]);
                        geoPackedCpu += Math.log(cpuBest[2] / cpuBest[1]);
                    }
                    System.out.println();
                    geo += Math.log(best[2] / best[0]);
                    geoPacked += Math.log(best[2] / best[1]);
                    geoMed += Math.log(med[2] / med[0]);
                    geoPackedMed += Math.log(med[2] / med[1]);
                    count++;
                }
            }
            if (threads == 1) {
                System.out.printf("geometric mean jllm/openblas, 1 thread, best of calling-thread CPU time (robust to time slicing): %.2f per-call packing; %.2f pre-packed B%n",
                        Math.exp(geoCpu / count), Math.exp(geoPackedCpu / count));
            }
            System.out.printf("geometric mean jllm/openblas, %d thread(s): %.2f best (%.2f median) per-call packing; %.2f best (%.2f median) pre-packed B%n",
                    threads, Math.exp(geo / count), Math.exp(geoMed / count), Math.exp(geoPacked / count), Math.exp(geoPackedMed / count));
        }
    }

    /** Lets C2 compile the GEMM kernels (both packing paths, both tile shapes) before anything is timed. */
    private static void warmUp(Random rnd) {
        int m = 512, n = 512, k = 512;
        float[] a = new float[m * k], b = new float[n * k], c = new float[m * n];
        for (int i = 0; i < a.length; i++) a[i] = rnd.nextFloat();
        for (int i = 0; i < b.length; i++) b[i] = rnd.nextFloat();
        Gemm.PackedB packed = Gemm.pack(b, n, k);
        long end = System.nanoTime() + 3_000_000_000L;
        while (System.nanoTime() < end) {
            Gemm.sgemm(m, n, k, a, b, c);
            Gemm.sgemm(m, a, packed, c);
            OpenBlas.sgemm(m, n, k, a, b, c);
        }
    }

    /**
     * In-cache, single-thread decode kernel throughput (256x4096 matrices, under 2 MB): what the kernels compute per
     * second when memory is not the limit. Contenders alternate within each round; the best of many short windows is
     * kept, which filters out the time slices other processes take on a shared machine.
     */
    static void kernelReport(int rounds) {
        Parallel.setThreads(1);
        int rows = 256, cols = 4096;
        float[] x = new float[cols], y = new float[rows];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        Map<String, Runnable> contenders = new LinkedHashMap<>();
        try (Arena arena = Arena.ofShared()) {
            WeightMatrix q8 = DecodeWorkload.weightSet(arena, GgmlType.Q8_0, rows, cols, 1, 7)[0];
            WeightMatrix q4 = DecodeWorkload.weightSet(arena, GgmlType.Q4_K, rows, cols, 1, 7)[0];
            contenders.put("Q8_0", () -> q8.matvec(x, y));
            contenders.put("Q4_K float", () -> {
                Q4_KWeights.setInt8Activations(false);
                q4.matvec(x, y);
            });
            contenders.put("Q4_K int8", () -> {
                Q4_KWeights.setInt8Activations(true);
                q4.matvec(x, y);
            });
            int reps = 20;
            Map<String, Double> best = new LinkedHashMap<>();
            long warmEnd = System.nanoTime() + 2_000_000_000L;
            while (System.nanoTime() < warmEnd) contenders.values().forEach(Runnable::run);
            for (int r = 0; r < Math.max(rounds, 200); r++) {
                for (var e : contenders.entrySet()) {
                    double t = time(() -> {
                        for (int i = 0; i < reps; i++) e.getValue().run();
                    });
                    best.merge(e.getKey(), t, Math::min);
                }
            }
            System.out.printf("%nIn-cache decode kernels, 1 thread, %dx%d, best of %d windows of %d matvecs%n", rows, cols, Math.max(rounds, 200), reps);
            double base = best.get("Q8_0");
            for (var e : best.entrySet()) {
                System.out.printf("%-12s %10.2f Mrows/s %8.2fx Q8_0%n", e.getKey(), rows * reps / e.getValue() / 1e6, base / e.getValue());
            }
        }
    }

    /**
     * One-token (decode) attention of a 1B Llama (16 layers, 32 query heads, 8 KV heads of 64) over its KV cache at
     * 320 and 1024 positions, on the kernel threads, with the cache coming from memory (a 64 MiB buffer is read
     * between timings): the {@code KvCache} layout (head-major) next to the row-major one, in alternation.
     */
    static void attentionReport(int rounds) {
        int layers = 16, heads = 32, kvHeads = 8, hd = 64;
        Random rnd = new Random(3);
        float[] q = new float[heads * hd], out = new float[heads * hd];
        for (int i = 0; i < q.length; i++) q[i] = (float) rnd.nextGaussian();
        byte[] evict = new byte[64 << 20];
        System.out.printf("%nOne-token attention, %d layers, %d heads / %d KV heads of %d, cache from memory, %d threads, best (median) of %d rounds%n",
                layers, heads, kvHeads, hd, Parallel.threads(), Math.max(rounds, 20));
        for (int positions : new int[] {320, 1024}) {
            float[][] rowKeys = new float[layers][], rowValues = new float[layers][], headKeys = new float[layers][], headValues = new float[layers][];
            for (int l = 0; l < layers; l++) {
                rowKeys[l] = new float[positions * kvHeads * hd];
                rowValues[l] = new float[positions * kvHeads * hd];
                for (int i = 0; i < rowKeys[l].length; i++) {
                    rowKeys[l][i] = (float) rnd.nextGaussian();
                    rowValues[l][i] = (float) rnd.nextGaussian();
                }
                headKeys[l] = headMajor(rowKeys[l], positions, kvHeads, hd);
                headValues[l] = headMajor(rowValues[l], positions, kvHeads, hd);
            }
            Attention.Layout rowMajor = Attention.Layout.rowMajor(kvHeads, hd), headMajor = Attention.Layout.headMajor(positions, hd);
            double[][] times = new double[2][Math.max(rounds, 20)];
            for (int r = -5; r < times[0].length; r++) {  // five warm-up rounds
                for (int layout = 0; layout < 2; layout++) {
                    for (int i = 0; i < evict.length; i += 64) evict[i]++;
                    boolean head = layout == 1;
                    double t = time(() -> {
                        for (int l = 0; l < layers; l++) {
                            Attention.attend(q, 1, positions - 1, head ? headKeys[l] : rowKeys[l], head ? headValues[l] : rowValues[l],
                                    head ? headMajor : rowMajor, heads, kvHeads, hd, 0, out);
                        }
                    });
                    if (r >= 0) times[layout][r] = t;
                }
            }
            for (double[] t : times) Arrays.sort(t);
            System.out.printf("%5d positions: head-major (KvCache) %6.2f ms (%6.2f), row-major %6.2f ms (%6.2f)%n", positions,
                    times[1][0] * 1e3, times[1][times[1].length / 2] * 1e3, times[0][0] * 1e3, times[0][times[0].length / 2] * 1e3);
        }
    }

    private static float[] headMajor(float[] rows, int positions, int kvHeads, int hd) {
        float[] out = new float[rows.length];
        for (int p = 0; p < positions; p++) {
            for (int h = 0; h < kvHeads; h++) System.arraycopy(rows, (p * kvHeads + h) * hd, out, (h * positions + p) * hd, hd);
        }
        return out;
    }

    /**
     * Out-of-cache matvec throughput per type next to the best streaming read of the same size (1, 2 or 4 streams per
     * thread, as `jllm bench` measures its roofline); {@code hugePages} puts
     * both in 2 MiB pages (the default 4 KiB pages are what memory-mapped weights get). {@code cpuClock}: one thread,
     * timed by the calling thread's CPU time, i.e. bytes per CPU-second. A thread stalled on memory still runs, so
     * this keeps what the kernel loses to memory latency but leaves out the time slices other processes take, which
     * on a loaded shared machine swamp wall-clock comparisons.
     */
    static void decodeReport(int rounds, int mib, boolean hugePages, boolean cpuClock) {
        int threads = cpuClock ? 1 : Runtime.getRuntime().availableProcessors();
        Parallel.setThreads(threads);
        long bytes = (long) mib << 20;
        System.out.printf("%nDecode matvec 4096x4096, %d thread(s), weight sets >= %d MiB in %s pages (one pass = every matrix once), %s%n",
                threads, mib, hugePages ? "2 MiB" : "4 KiB", cpuClock ? "GB per CPU-second of the calling thread" : "GB per wall-clock second");
        System.out.printf("%6s %8s %10s %10s %10s %12s%n", "type", "matrices", "GB/s", "stream GB/s", "% of BW", "Mrows/s");
        Map<GgmlType, Double> rowsPerSec = new LinkedHashMap<>();
        float[] x = new float[4096], y = new float[4096];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        for (GgmlType type : List.of(GgmlType.F32, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q4_0, GgmlType.Q6_K)) {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment buffer = DecodeWorkload.filledBuffer(arena, bytes, hugePages);
                WeightMatrix[] set = DecodeWorkload.weightSet(arena, type, 4096, 4096, DecodeWorkload.countFor(type, 4096, 4096, bytes), 7, hugePages);
                long setBytes = Arrays.stream(set).mapToLong(w -> w.data().byteSize()).sum();
                double bestStreamGBs = 0, bestPass = 1e9;
                for (int r = 0; r < rounds + 2; r++) {
                    double streamGBs = 0;
                    for (int streams : ModelBenchmark.STREAM_COUNTS) {
                        double t = time(cpuClock, () -> DecodeWorkload.streamRead(buffer, streams));
                        streamGBs = Math.max(streamGBs, ModelBenchmark.bytesRead(buffer, streams) / t / 1e9);
                    }
                    double tm = time(cpuClock, () -> {
                        for (WeightMatrix w : set) w.matvec(x, y);
                    });
                    if (r >= 2) {
                        bestStreamGBs = Math.max(bestStreamGBs, streamGBs);
                        bestPass = Math.min(bestPass, tm);
                    }
                }
                double streamGBs = bestStreamGBs;
                double gbs = setBytes / bestPass / 1e9;
                double rows = 4096.0 * set.length / bestPass / 1e6;
                rowsPerSec.put(type, rows);
                System.out.printf("%6s %8d %10.1f %10.1f %9.0f%% %12.2f%n", type, set.length, gbs, streamGBs, 100 * gbs / streamGBs, rows);
            }
        }
        System.out.printf("Q4_K / Q8_0 rows/s: %.2f%n", rowsPerSec.get(GgmlType.Q4_K) / rowsPerSec.get(GgmlType.Q8_0));
    }
}
