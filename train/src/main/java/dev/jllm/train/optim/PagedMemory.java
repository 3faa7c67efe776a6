package dev.jllm.train.optim;

import dev.jllm.core.JllmException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Optimizer state the OS can page out: a shared mapping of a file that is unlinked as soon as it is mapped, so it
 * lives exactly as long as the mapping and the kernel can write it back and drop it from memory under pressure (the
 * CPU counterpart of bitsandbytes' paged optimizers, whose state moves between GPU and host memory). It starts zeroed.
 */
final class PagedMemory {
    private PagedMemory() {}

    static MemorySegment allocate(long bytes, Path directory, String prefix, Arena arena) {
        try {
            Path file = Files.createTempFile(directory, prefix, ".state");
            try (var channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                return channel.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena);
            } finally {
                Files.delete(file);
            }
        } catch (IOException e) {
            throw new JllmException("cannot create the paged optimizer state file in " + directory + ": " + e.getMessage());
        }
    }
}
