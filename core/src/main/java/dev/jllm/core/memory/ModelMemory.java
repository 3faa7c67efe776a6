package dev.jllm.core.memory;

import dev.jllm.core.JllmException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How model files get into memory: memory-mapped (the default: nothing is copied, pages come and go with the page
 * cache), or read into anonymous memory backed by 2 MiB transparent huge pages ({@code -Djllm.mmap=false}, or
 * {@link #setMmap}).
 *
 * <p>Why the second mode exists: decode streams every weight once per token, and a file mapping is made of 4 KiB
 * pages, so a 1 GB model costs 260 000 TLB misses per token. Under a hypervisor each miss walks two page tables;
 * with the prefetchers stopping at every 4 KiB boundary, the kernels that do more arithmetic per byte (the
 * quantized types) could not hide those walks. The same Q8_0 decode matvecs measured 1.7x faster from huge pages
 * than from the mapping on this project's 2-vCPU KVM machine. Linux does not give huge pages to ext4 file
 * mappings (madvise MADV_COLLAPSE answers EINVAL there), hence the copy. Elsewhere than Linux the copy goes to
 * ordinary memory.
 */
public final class ModelMemory {
    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x22;
    private static final int MADV_HUGEPAGE = 14;
    /** Reads are issued in chunks below FileChannel's 2 GiB ByteBuffer limit. */
    private static final int READ_CHUNK = 1 << 30;

    private static volatile boolean mmap = mmapByDefault();

    private ModelMemory() {}

    /** The mode {@code -Djllm.mmap} asks for: mapped unless it is {@code false}. */
    public static boolean mmapByDefault() {
        return !"false".equalsIgnoreCase(System.getProperty("jllm.mmap", "true").trim());
    }

    /** True: model files are memory-mapped; false: read into huge-page memory. */
    public static boolean mmap() {
        return mmap;
    }

    public static void setMmap(boolean on) {
        mmap = on;
    }

    /** Whether {@link #allocateHuge} really asks the kernel for huge pages on this platform. */
    public static boolean hugePagesSupported() {
        return Native.MMAP != null;
    }

    /**
     * The whole file as one read-only segment owned by {@code arena}: mapped, or (when {@link #mmap()} is off)
     * read into {@link #allocateHuge huge-page memory}.
     */
    public static MemorySegment load(Path path, FileChannel ch, Arena arena) throws IOException {
        long size = ch.size();
        if (mmap) return ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        MemorySegment seg;
        try {
            seg = allocateHuge(size, arena);
        } catch (JllmException e) {
            throw new JllmException(path + ": " + e.getMessage() + " (-Djllm.mmap=false reads the whole file into memory; the default maps it)", e);
        }
        long done = 0;
        while (done < size) {
            int chunk = (int) Math.min(READ_CHUNK, size - done);
            ByteBuffer buf = seg.asSlice(done, chunk).asByteBuffer();
            while (buf.hasRemaining()) {
                int n = ch.read(buf, done + buf.position());
                if (n < 0) throw new JllmException(path + ": file ended at byte " + (done + buf.position()) + " while reading " + size + " bytes (changed while loading?)");
            }
            done += chunk;
        }
        return seg.asReadOnly();
    }

    /**
     * {@code bytes} of zeroed memory owned by {@code arena}, aligned to 2 MiB and advised as transparent huge pages
     * (Linux {@code madvise(MADV_HUGEPAGE)}; honoured when {@code /sys/kernel/mm/transparent_hugepage/enabled} is
     * {@code always} or {@code madvise}). Elsewhere: an ordinary 2 MiB-aligned allocation.
     */
    public static MemorySegment allocateHuge(long bytes, Arena arena) {
        if (bytes < 0) throw new JllmException("cannot allocate " + bytes + " bytes");
        if (Native.MMAP == null || bytes == 0) return arena.allocate(Math.max(bytes, 1), HUGE_PAGE).asSlice(0, bytes);
        long length = (bytes + 2 * HUGE_PAGE - 1) & -HUGE_PAGE;  // room to align the start to a huge page
        MemorySegment raw;
        try {
            raw = (MemorySegment) Native.MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            throw new JllmException("mmap of " + bytes + " bytes failed: " + t, t);
        }
        if (raw.address() == -1L || raw.address() == 0L) {
            throw new JllmException(String.format(Locale.ROOT, "out of memory: cannot allocate %.1f MB for model weights", bytes / 1e6));
        }
        long start = (raw.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
        long rawAddress = raw.address();
        MemorySegment seg = MemorySegment.ofAddress(start).reinterpret(bytes, arena, s -> Native.unmap(rawAddress, length));
        try {
            int ignored = (int) Native.MADVISE.invokeExact(seg, (bytes + HUGE_PAGE - 1) & -HUGE_PAGE, MADV_HUGEPAGE);
            // a refusal (THP disabled) leaves ordinary pages: still correct, only slower
        } catch (Throwable t) {
            throw new JllmException("madvise failed: " + t, t);
        }
        return seg;
    }

    /** The libc entry points, looked up once; null where they are not used (not Linux). */
    private static final class Native {
        static final MethodHandle MMAP, MUNMAP, MADVISE;

        static {
            MethodHandle mmap = null, munmap = null, madvise = null;
            if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
                try {
                    Linker linker = Linker.nativeLinker();
                    var libc = linker.defaultLookup();
                    mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                    munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                    madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                } catch (RuntimeException e) {
                    mmap = munmap = madvise = null;  // no native access: fall back to ordinary allocation
                }
            }
            MMAP = mmap;
            MUNMAP = munmap;
            MADVISE = madvise;
        }

        static void unmap(long address, long length) {
            try {
                int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
            } catch (Throwable t) {
                throw new IllegalStateException("munmap failed", t);
            }
        }
    }
}
