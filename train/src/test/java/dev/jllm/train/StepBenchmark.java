package dev.jllm.train;

import dev.jllm.train.data.Batch;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.TinyModels;
import dev.jllm.train.optim.AdamW;
import dev.jllm.train.optim.ParamGroup;
import dev.jllm.train.schedule.LrSchedule;

import java.util.List;
import java.util.Random;

/**
 * Training throughput of one full step (forward + backward + AdamW) of a Llama-style model; not a unit test.
 * Arguments: hidden layers heads intermediate vocab seqLen batch steps (defaults: issue 5's benchmark model, 3 steps).
 * Prints the mean and best step time and the process's peak resident memory (VmHWM).
 * Run: {@code java --add-modules jdk.incubator.vector -cp <test classpath> dev.jllm.train.StepBenchmark}.
 */
public final class StepBenchmark {
    public static void main(String[] a) {
        int hidden = arg(a, 0, 512), layers = arg(a, 1, 8), heads = arg(a, 2, 8), ff = arg(a, 3, 1408), vocab = arg(a, 4, 32000);
        int T = arg(a, 5, 256), B = arg(a, 6, 8), steps = arg(a, 7, 3);
        String json = "{\"architectures\":[\"LlamaForCausalLM\"],\"vocab_size\":" + vocab + ",\"hidden_size\":" + hidden
                + ",\"intermediate_size\":" + ff + ",\"num_hidden_layers\":" + layers + ",\"num_attention_heads\":" + heads
                + ",\"num_key_value_heads\":" + heads + ",\"max_position_embeddings\":" + Math.max(2048, T) + "}";
        CausalLm model = CausalLm.initialize(TinyModels.config(json), 0.02, 1);
        var engine = new StepEngine(model, new AdamW(ParamGroup.withDecay(model.trainableParameters(), 0.01)),
                LrSchedule.of(LrSchedule.Type.CONSTANT, 1e-4, 0, steps + 1), 1.0);
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
        engine.run(List.of(batch)); // warm-up (JIT)
        long t0 = System.nanoTime(), cpu0 = os.getProcessCpuTime();
        double best = Double.MAX_VALUE;
        for (int s = 0; s < steps; s++) {
            long s0 = System.nanoTime();
            engine.run(List.of(batch));
            best = Math.min(best, (System.nanoTime() - s0) / 1e9);
        }
        double sec = (System.nanoTime() - t0) / 1e9 / steps;
        double cpuSec = (os.getProcessCpuTime() - cpu0) / 1e9 / steps;
        double tps = B * T / sec;
        System.out.printf("step %.3f s wall, %.1f tokens/s, %.1f GFLOP/s (%.0f%% of 230 GFLOP/s fp32 peak)%n", sec, tps,
                tps * flopsPerToken / 1e9, 100 * tps * flopsPerToken / 230e9);
        System.out.printf("best step %.3f s, %.1f tokens/s (%.0f%% of peak)%n", best, B * T / best,
                100 * (B * T / best) * flopsPerToken / 230e9);
        // On a shared, oversubscribed machine wall time mostly measures the neighbours; CPU time spread over the
        // cores estimates what the step would take with the cores to itself.
        int cores = Runtime.getRuntime().availableProcessors();
        double ideal = cpuSec / cores;
        System.out.printf("step %.3f s CPU over %d cores: %.1f tokens/s if the cores were free (%.0f%% of peak)%n",
                cpuSec, cores, B * T / ideal, 100 * (B * T / ideal) * flopsPerToken / 230e9);
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM")) System.out.println("peak RSS " + line.substring(6).trim());
            }
        } catch (java.io.IOException e) {
            System.out.println("peak RSS unknown: " + e.getMessage());
        }
    }

    private static int arg(String[] a, int i, int dflt) {
        return a.length > i ? Integer.parseInt(a[i]) : dflt;
    }
}
