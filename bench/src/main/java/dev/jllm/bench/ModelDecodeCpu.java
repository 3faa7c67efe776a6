package dev.jllm.bench;

import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.tensor.WeightMatrix;
import dev.jllm.model.Model;
import dev.jllm.model.arch.DecoderLayer;
import dev.jllm.model.arch.FeedForward;
import dev.jllm.model.arch.Transformer;
import dev.jllm.model.generate.Generator;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decode cost of whole models on one thread, timed by that thread's CPU time: CPU-seconds per decode step, and per
 * pass through the step's weight matrices alone. Memory stalls count (a stalled thread still runs), time slices taken
 * by other processes do not, so weight types and builds can be compared on a loaded shared machine where the
 * wall-clock {@code jllm bench} swings by 2-3x from run to run. {@code -Djllm.mmap=false} holds the weights in
 * 2 MiB pages as {@code bench --no-mmap} does.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp bench/target/jllm-bench.jar \
 *      dev.jllm.bench.ModelDecodeCpu /tmp/jllm-bench/random-1b-Q8_0.gguf /tmp/jllm-bench/random-1b-Q4_K.gguf
 * </pre>
 */
public final class ModelDecodeCpu {
    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();
    private static final int STEPS = 24;

    private ModelDecodeCpu() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) throw new IllegalArgumentException("usage: ModelDecodeCpu MODEL...");
        Parallel.setThreads(1);
        System.out.printf("%-32s %26s %26s%n", "model (1 thread)", "decode step CPU s best/med", "matvecs CPU s best/med");
        for (String arg : args) {
            Path path = Path.of(arg);
            try (Model model = Model.load(path)) {
                double[] steps = new double[STEPS];
                Model.Session session = model.newSession(STEPS + 16);
                float[] logits = session.append(new int[] {1, 2, 3, 4});
                for (int i = 0; i < 6; i++) logits = session.append(new int[] {Generator.argmax(logits)});
                for (int i = 0; i < STEPS; i++) {
                    int next = Generator.argmax(logits);
                    long t0 = CPU.getCurrentThreadCpuTime();
                    logits = session.append(new int[] {next});
                    steps[i] = (CPU.getCurrentThreadCpuTime() - t0) / 1e9;
                }
                double[] passes = matvecPasses(model.transformer(), 12);
                System.out.printf("%-32s %12.4f / %-12.4f %12.4f / %-12.4f%n", path.getFileName(), best(steps), median(steps),
                        best(passes), median(passes));
            }
        }
        System.exit(0);
    }

    /** CPU time of one matvec through every weight matrix a dense decode step multiplies, {@code rounds} times. */
    private static double[] matvecPasses(Transformer t, int rounds) {
        List<WeightMatrix> ws = new ArrayList<>();
        for (DecoderLayer l : t.layers()) {
            ws.addAll(List.of(l.q(), l.k(), l.v(), l.o()));
            if (l.ffn() instanceof FeedForward.Dense d) ws.addAll(List.of(d.gate(), d.up(), d.down()));
        }
        ws.add(t.output());
        int maxCols = ws.stream().mapToInt(WeightMatrix::cols).max().orElseThrow();
        int maxRows = ws.stream().mapToInt(WeightMatrix::rows).max().orElseThrow();
        float[] x = new float[maxCols], y = new float[maxRows];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
        double[] times = new double[rounds];
        for (int r = -2; r < rounds; r++) {
            long t0 = CPU.getCurrentThreadCpuTime();
            for (WeightMatrix w : ws) w.matvec(x, 0, y, 0);
            if (r >= 0) times[r] = (CPU.getCurrentThreadCpuTime() - t0) / 1e9;
        }
        return times;
    }

    private static double best(double[] v) {
        return Arrays.stream(v).min().orElseThrow();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
