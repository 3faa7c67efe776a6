package dev.jllm.train;

import dev.jllm.train.data.Batch;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.TinyModels;
import dev.jllm.train.optim.AdamW;
import dev.jllm.train.optim.ParamGroup;
import dev.jllm.train.precision.GradScaler;
import dev.jllm.train.precision.Precision;
import dev.jllm.train.schedule.LrSchedule;

import java.util.List;
import java.util.Random;

/**
 * Training throughput of one full step (forward + backward + AdamW) of a Llama-style model; not a unit test.
 * Arguments: hidden layers heads intermediate vocab seqLen batch steps precision (defaults: issue 5's benchmark model,
 * 3 steps, fp32). The precision is fp32, bf16, fp16, or {@code fp32,bf16} (any list) to alternate the given
 * precisions step by step on one model, so that a loaded machine slows every side alike; each is then timed apart.
 * Prints the mean and best step time, the bytes of saved activations and the process's peak resident memory (VmHWM).
 * Run: {@code java --add-modules jdk.incubator.vector -cp <test classpath> dev.jllm.train.StepBenchmark}.
 */
public final class StepBenchmark {
    public static void main(String[] a) {
        int hidden = arg(a, 0, 512), layers = arg(a, 1, 8), heads = arg(a, 2, 8), ff = arg(a, 3, 1408), vocab = arg(a, 4, 32000);
        int T = arg(a, 5, 256), B = arg(a, 6, 8), steps = arg(a, 7, 3);
        List<Precision> precisions = new java.util.ArrayList<>();
        for (String p : (a.length > 8 ? a[8] : "fp32").split(",")) precisions.add(Precision.valueOf(p.trim().toUpperCase(java.util.Locale.ROOT)));
        String json = "{\"architectures\":[\"LlamaForCausalLM\"],\"vocab_size\":" + vocab + ",\"hidden_size\":" + hidden
                + ",\"intermediate_size\":" + ff + ",\"num_hidden_layers\":" + layers + ",\"num_attention_heads\":" + heads
                + ",\"num_key_value_heads\":" + heads + ",\"max_position_embeddings\":" + Math.max(2048, T) + "}";
        CausalLm model = CausalLm.initialize(TinyModels.config(json), 0.02, 1);
        var engine = new StepEngine(model, new AdamW(ParamGroup.withDecay(model.trainableParameters(), 0.01)),
                LrSchedule.of(LrSchedule.Type.CONSTANT, 1e-4, 0, (steps + 1) * precisions.size()), 1.0,
                precisions.contains(Precision.FP16) ? new GradScaler() : null);
        Random r = new Random(2);
        int[] ids = new int[B * T];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(vocab);
        int[] mask = new int[B * T];
        java.util.Arrays.fill(mask, 1);
        Batch batch = new Batch(B, T, ids, mask, ids.clone());
        long params = 0;
        for (var p : model.parameters()) params += p.size();
        long embed = (long) vocab * hidden;
        // 6 FLOPs per parameter per token for the matmuls (embedding lookup excluded), plus causal attention.
        double flopsPerToken = 6.0 * (params - embed) + 6.0 * layers * T * hidden;
        System.out.printf("model: %d params, %d tokens/step, %.1f MFLOP/token%n", params, B * T, flopsPerToken / 1e6);
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        int n = precisions.size();
        double[] total = new double[n], cpu = new double[n], best = new double[n];
        long[] activations = new long[n], casts = new long[n];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        for (int s = -1; s < steps; s++) {   // step -1 warms up the JIT on every precision
            for (int i = 0; i < n; i++) {
                if (n > 1 || s < 0) model.setPrecision(precisions.get(i));
                long s0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                engine.run(List.of(batch));
                double wall = (System.nanoTime() - s0) / 1e9;
                activations[i] = model.savedActivationBytes();
                casts[i] = model.castWeightBytes();
                if (s < 0) continue;
                total[i] += wall;
                cpu[i] += (os.getProcessCpuTime() - c0) / 1e9;
                best[i] = Math.min(best[i], wall);
            }
        }
        for (int i = 0; i < n; i++) {
            System.out.printf("== %s: saved activations %.1f MB, 16-bit weight copies %.1f MB%n", precisions.get(i), activations[i] / 1e6, casts[i] / 1e6);
            report(total[i] / steps, cpu[i] / steps, best[i], B * T, flopsPerToken);
        }
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM")) System.out.println("peak RSS " + line.substring(6).trim());
            }
        } catch (java.io.IOException e) {
            System.out.println("peak RSS unknown: " + e.getMessage());
        }
    }

    private static void report(double sec, double cpuSec, double best, int tokens, double flopsPerToken) {
        double tps = tokens / sec;
        System.out.printf("step %.3f s wall, %.1f tokens/s, %.1f GFLOP/s (%.0f%% of 230 GFLOP/s fp32 peak)%n", sec, tps,
                tps * flopsPerToken / 1e9, 100 * tps * flopsPerToken / 230e9);
        System.out.printf("best step %.3f s, %.1f tokens/s (%.0f%% of peak)%n", best, tokens / best,
                100 * (tokens / best) * flopsPerToken / 230e9);
        // On a shared, oversubscribed machine wall time mostly measures the neighbours; CPU time spread over the
        // cores estimates what the step would take with the cores to itself.
        int cores = Runtime.getRuntime().availableProcessors();
        double ideal = cpuSec / cores;
        System.out.printf("step %.3f s CPU over %d cores: %.1f tokens/s if the cores were free (%.0f%% of peak)%n",
                cpuSec, cores, tokens / ideal, 100 * (tokens / ideal) * flopsPerToken / 230e9);
    }

    private static int arg(String[] a, int i, int dflt) {
        return a.length > i ? Integer.parseInt(a[i]) : dflt;
    }
}
