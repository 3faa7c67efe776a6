package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.memory.ModelMemory;
import picocli.CommandLine.Option;

/** {@code --threads} and {@code --no-mmap}, shared by every command that runs a model's kernels. */
final class RuntimeOptions {
    @Option(names = "--threads", description = "Worker threads for the kernels (default: all cores).")
    Integer threads;

    @Option(names = "--no-mmap", description = "Read the model's weights into 2 MiB huge-page memory instead of "
            + "memory-mapping the file: decode reads every weight once per token, and 4 KiB pages cost it TLB misses "
            + "(on a 2-vCPU KVM machine 1B F32 and Q8_0 decode ran 1.2-1.4x faster). Needs the model's size in free memory.")
    boolean noMmap;

    /** Sizes the kernels' pool when --threads was given (otherwise one worker per core) and picks how models load. */
    void apply() {
        if (threads != null) {
            if (threads < 1) throw new JllmException("--threads must be >= 1, got " + threads);
            Parallel.setThreads(threads);
        }
        ModelMemory.setMmap(!noMmap && ModelMemory.mmapByDefault());
    }
}
