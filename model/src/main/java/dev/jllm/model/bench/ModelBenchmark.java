package dev.jllm.model.bench;

import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.memory.ModelMemory;
import dev.jllm.core.tensor.WeightMatrix;
import dev.jllm.model.Model;
import dev.jllm.model.arch.DecoderLayer;
import dev.jllm.model.arch.FeedForward;
import dev.jllm.model.arch.Transformer;
import dev.jllm.model.generate.Generator;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

/**
 * Measures a model's prefill and decode speed and puts decode next to the memory-bandwidth roofline: the read
 * bandwidth measured in the same process divided by the weight bytes one decode step must read.
 */
public final class ModelBenchmark {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private ModelBenchmark() {}

    /**
     * @param weightBytesPerToken bytes of every matrix a one-token step multiplies through (embedding lookup excluded)
     * @param rooflineTokensPerSecond bandwidth / weightBytesPerToken
     */
    public record Result(long weightBytesPerToken, int promptTokens, double prefillTokensPerSecond, int decodeTokens,
                         double decodeTokensPerSecond, double bandwidthBytesPerSecond, double rooflineTokensPerSecond) {
        public double fractionOfRoofline() {
            return decodeTokensPerSecond / rooflineTokensPerSecond;
        }
    }

    /** Bytes of all matrices a dense decode step reads. */
    public static long weightBytesPerToken(Transformer t) {
        long bytes = t.output().data().byteSize();
        for (DecoderLayer l : t.layers()) {
            bytes += size(l.q()) + size(l.k()) + size(l.v()) + size(l.o());
            switch (l.ffn()) {
                case FeedForward.Dense d -> bytes += size(d.gate()) + size(d.up()) + size(d.down());
                case FeedForward.Sparse s -> {
                    FeedForward.Dense e = s.experts()[0];
                    bytes += size(s.router()) + s.topK() * (size(e.gate()) + size(e.up()) + size(e.down()));
                }
            }
        }
        return bytes;
    }

    private static long size(WeightMatrix m) {
        return m.data().byteSize();
    }

    /**
     * Read bandwidth over a buffer much larger than the caches, with the kernels' threads: the best pass over
     * {@code repeats} rounds of each access pattern. Each thread reads its share as 1, 2 or 4 interleaved sequential
     * streams (the share cut into that many parts, a vector from each in turn). One stream per thread understates
     * what the memory system delivers: measured 18 GB/s on this project's 2-vCPU KVM machine with 4 KiB pages,
     * against 26 GB/s with two streams (a C reader with AVX-512 loads agreed on both), and the decode kernels, which
     * read 2 to 4 rows at once, then ran above "100% of the roofline". {@code hugePages}: the buffer lies in 2 MiB
     * pages as weights read with {@code ModelMemory.mmap()} off do (a roofline compares like with like: 4 KiB pages
     * for mapped weights).
     */
    public static double readBandwidth(long bytes, int repeats, boolean hugePages) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = hugePages ? ModelMemory.allocateHuge(bytes, arena) : arena.allocate(bytes, 4096);
            seg.fill((byte) 1);
            double best = 0, sink = 0;
            for (int r = 0; r < repeats; r++) {
                for (int streams : STREAM_COUNTS) {
                    long t0 = System.nanoTime();
                    sink += readPass(seg, streams);
                    long ns = System.nanoTime() - t0;
                    best = Math.max(best, bytesRead(seg, streams) / (ns * 1e-9));
                }
            }
            if (Double.isNaN(sink)) throw new IllegalStateException();  // keeps the reads alive
            return best;
        }
    }

    /** The stream counts per thread {@link #readBandwidth} tries. */
    public static final int[] STREAM_COUNTS = {1, 2, 4};

    /**
     * One read of {@code seg} on the kernel threads, each thread's share as {@code streams} interleaved sequential
     * streams; returns the sum of the values read (as floats) so the JIT cannot drop the reads. Reads
     * {@link #bytesRead} bytes: whole 256 KiB chunks, a multiple of {@code streams} per thread.
     */
    public static double readPass(MemorySegment seg, int streams) {
        int chunks = (int) Math.min(Integer.MAX_VALUE, seg.byteSize() / CHUNK);
        double[] sums = new double[Parallel.threads()];
        Parallel.forRange(chunks, streams, (w, from, to) -> sums[w] += readStreams(seg, from, to, streams));
        double s = 0;
        for (double v : sums) s += v;
        return s;
    }

    /** Bytes one {@link #readPass} reads (every slice but the last is a whole number of stream groups). */
    public static long bytesRead(MemorySegment seg, int streams) {
        int chunks = (int) Math.min(Integer.MAX_VALUE, seg.byteSize() / CHUNK);
        return (long) (chunks / streams) * streams * CHUNK;
    }

    private static final long CHUNK = 1 << 18;

    /** Sums chunks [from, to) read as {@code streams} interleaved sequential streams (the range cut into equal parts). */
    private static double readStreams(MemorySegment seg, int from, int to, int streams) {
        long part = (long) (to - from) / streams * CHUNK;
        long start = from * CHUNK;
        long step = S.vectorByteSize();
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        switch (streams) {
            case 1 -> {
                for (long i = start; i < start + part; i += 2 * step) {
                    a0 = a0.add(FloatVector.fromMemorySegment(S, seg, i, ByteOrder.LITTLE_ENDIAN));
                    a1 = a1.add(FloatVector.fromMemorySegment(S, seg, i + step, ByteOrder.LITTLE_ENDIAN));
                }
            }
            case 2 -> {
                for (long i = start; i < start + part; i += step) {
                    a0 = a0.add(FloatVector.fromMemorySegment(S, seg, i, ByteOrder.LITTLE_ENDIAN));
                    a1 = a1.add(FloatVector.fromMemorySegment(S, seg, i + part, ByteOrder.LITTLE_ENDIAN));
                }
            }
            default -> {
                for (long i = start; i < start + part; i += step) {
                    a0 = a0.add(FloatVector.fromMemorySegment(S, seg, i, ByteOrder.LITTLE_ENDIAN));
                    a1 = a1.add(FloatVector.fromMemorySegment(S, seg, i + part, ByteOrder.LITTLE_ENDIAN));
                    a2 = a2.add(FloatVector.fromMemorySegment(S, seg, i + 2 * part, ByteOrder.LITTLE_ENDIAN));
                    a3 = a3.add(FloatVector.fromMemorySegment(S, seg, i + 3 * part, ByteOrder.LITTLE_ENDIAN));
                }
            }
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    private static final int WARM_UP_STEPS = 12;

    /** Prefill of {@code promptTokens} random tokens, then {@code decodeTokens} greedy one-token steps. */
    public static Result run(Model model, int promptTokens, int decodeTokens, double bandwidth) {
        int vocab = model.config().vocabSize();
        SplittableRandom rnd = new SplittableRandom(1);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) prompt[i] = rnd.nextInt(vocab);
        // Warm-up: JIT-compile the prefill and decode paths on a short sequence. C2 recompiles the decode kernels
        // a few times over the first steps (profiles fill, deoptimizations); with only 3 warm-up steps the first
        // timed steps still ran 1.3-2x slower than the rest.
        Model.Session warm = model.newSession(64);
        float[] l = warm.append(new int[] {1, 2, 3, 4, 5, 6, 7, 8});
        for (int i = 0; i < WARM_UP_STEPS; i++) l = warm.append(new int[] {Generator.argmax(l)});

        Model.Session session = model.newSession(promptTokens + decodeTokens + 1);
        long t0 = System.nanoTime();
        float[] logits = session.append(prompt);
        double prefill = promptTokens / ((System.nanoTime() - t0) * 1e-9);
        long t1 = System.nanoTime();
        for (int i = 0; i < decodeTokens; i++) logits = session.append(new int[] {Generator.argmax(logits)});
        double decode = decodeTokens / ((System.nanoTime() - t1) * 1e-9);
        long bytes = weightBytesPerToken(model.transformer());
        return new Result(bytes, promptTokens, prefill, decodeTokens, decode, bandwidth, bandwidth / bytes);
    }
}
