package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Parallel;
import picocli.CommandLine.Option;

/** {@code --threads}, shared by every command that runs a model's kernels. */
final class ThreadsOption {
    @Option(names = "--threads", description = "Worker threads for the kernels (default: all cores).")
    Integer threads;

    /** Sizes the kernels' pool when the option was given; otherwise it keeps one worker per core. */
    void apply() {
        if (threads == null) return;
        if (threads < 1) throw new JllmException("--threads must be >= 1, got " + threads);
        Parallel.setThreads(threads);
    }
}
