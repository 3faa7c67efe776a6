package dev.jllm.core.memory;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelMemoryTest {
    @TempDir
    Path dir;

    @AfterEach
    void restore() {
        ModelMemory.setMmap(true);
    }

    @Test
    void hugeAllocationIsAlignedZeroedAndWritable() {
        try (Arena arena = Arena.ofConfined()) {
            long bytes = (3L << 20) + 123;
            MemorySegment s = ModelMemory.allocateHuge(bytes, arena);
            assertEquals(bytes, s.byteSize());
            assertEquals(0, s.address() % (2L << 20), "2 MiB aligned");
            for (long o = 0; o < bytes; o += 4096) assertEquals(0, s.get(ValueLayout.JAVA_BYTE, o));
            s.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7);
            assertEquals(7, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
            assertEquals(0, ModelMemory.allocateHuge(0, arena).byteSize());
        }
    }

    @Test
    void readIntoMemoryEqualsTheMapping() throws IOException {
        byte[] content = new byte[(5 << 20) + 77];
        new Random(3).nextBytes(content);
        Path f = dir.resolve("w.bin");
        Files.write(f, content);
        for (boolean mmap : new boolean[]{true, false}) {
            ModelMemory.setMmap(mmap);
            try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(f)) {
                MemorySegment s = ModelMemory.load(f, ch, arena);
                assertTrue(s.isReadOnly(), "weights are read-only in both modes");
                assertArrayEquals(content, s.toArray(ValueLayout.JAVA_BYTE), "mmap=" + mmap);
            }
        }
    }

    @Test
    void negativeSizeIsRejected() {
        try (Arena arena = Arena.ofConfined()) {
            assertThrows(dev.jllm.core.JllmException.class, () -> ModelMemory.allocateHuge(-1, arena));
        }
    }
}
