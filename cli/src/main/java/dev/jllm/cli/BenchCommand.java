package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.memory.ModelMemory;
import dev.jllm.model.Model;
import dev.jllm.model.bench.ModelBenchmark;
import dev.jllm.model.synth.RandomModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code jllm bench}: prefill and decode tokens/s against the measured memory-bandwidth roofline. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode tokens/s of a model, next to the decode roofline (read bandwidth "
                + "measured in the same run / weight bytes per token). Give --model, or --random with --types to "
                + "generate random-weight Llama models (cached in --cache) and compare the types side by side.")
public final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", description = "A model to measure (Hugging Face folder or .gguf).")
    Path model;

    @Option(names = "--random", description = "Random-weight model preset to generate: 1b (Llama 3.2 1B layout, 32000 vocab), tinyllama (TinyLlama 1.1B layout) or tiny.")
    String random;

    @Option(names = "--types", split = ",", description = "Weight types for --random, comma-separated.", defaultValue = "F32,BF16,Q8_0,Q4_K")
    List<String> types = new ArrayList<>();

    @Option(names = "--cache", description = "Folder for generated models (reused when present).", defaultValue = "${java.io.tmpdir}/jllm-bench")
    Path cache;

    @Option(names = "--prompt-tokens", description = "Prefill length.", defaultValue = "512")
    int promptTokens;

    @Option(names = "--decode-tokens", description = "Decode steps timed.", defaultValue = "32")
    int decodeTokens;

    @Option(names = "--bandwidth-mib", description = "Buffer size of the read-bandwidth measurement.", defaultValue = "1024")
    int bandwidthMib;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        if ((model == null) == (random == null)) throw new JllmException("give exactly one of --model and --random");
        if (promptTokens < 1 || decodeTokens < 1) throw new JllmException("--prompt-tokens and --decode-tokens must be >= 1");
        runtime.apply();
        PrintWriter out = spec.commandLine().getOut();
        List<Path> models = new ArrayList<>();
        if (model != null) {
            models.add(model);
        } else {
            RandomModel.Shape shape = RandomModel.Shape.parse(random);
            Files.createDirectories(cache);
            for (String t : types) {
                GgmlType type;
                try {
                    type = GgmlType.valueOf(t.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new JllmException("--types: unknown weight type '" + t + "'");
                }
                Path file = cache.resolve("random-" + random + "-" + type + ".gguf");
                if (!Files.isRegularFile(file)) {
                    out.printf(Locale.ROOT, "generating %s (%.2fB parameters, %s)...%n", file, shape.parameters() / 1e9, type);
                    out.flush();
                    RandomModel.writeGguf(file, shape, type, 42);
                }
                models.add(file);
            }
        }
        boolean huge = !ModelMemory.mmap();  // --no-mmap: the roofline bandwidth is measured on huge pages too
        double bandwidth = ModelBenchmark.readBandwidth((long) bandwidthMib << 20, 5, huge);
        out.printf(Locale.ROOT, "threads %d, weights %s, read bandwidth %.1f GB/s (%s pages)%n", Parallel.threads(),
                huge ? "read into memory" : "memory-mapped", bandwidth / 1e9, huge ? "2 MiB" : "4 KiB");
        out.printf(Locale.ROOT, "%-40s %12s %14s %14s %14s %10s%n", "model", "weights MB", "prefill tok/s", "decode tok/s",
                "roofline tok/s", "of roofl.");
        for (Path p : models) {
            try (Model m = Model.load(p)) {
                ModelBenchmark.Result r = ModelBenchmark.run(m, promptTokens, decodeTokens, bandwidth);
                out.printf(Locale.ROOT, "%-40s %12.1f %14.1f %14.2f %14.2f %9.0f%%%n", p.getFileName(),
                        r.weightBytesPerToken() / 1e6, r.prefillTokensPerSecond(), r.decodeTokensPerSecond(),
                        r.rooflineTokensPerSecond(), 100 * r.fractionOfRoofline());
                out.flush();
            }
        }
        return 0;
    }
}
