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
     * Sequential read bandwidth over a buffer much larger than the caches, with the kernels' threads; the best of
     * {@code repeats} passes. {@code hugePages}: the buffer lies in 2 MiB pages as weights read with
     * {@code ModelMemory.mmap()} off do (a roofline compares like with like: 4 KiB pages for mapped weights).
     */
    public static double readBandwidth(long bytes, int repeats, boolean hugePages) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment seg = hugePages ? ModelMemory.allocateHuge(bytes, arena) : arena.allocate(bytes, 4096);
            seg.fill((byte) 1);
            long floats = bytes / 4;
            int chunks = (int) Math.min(Integer.MAX_VALUE, floats / (1 << 16));
            double best = 0;
            double[] sink = new double[Parallel.threads()];
            for (int r = 0; r < repeats; r++) {
                long t0 = System.nanoTime();
                Parallel.forRange(chunks, 1, (w, from, to) -> {
                    FloatVector acc = FloatVector.zero(S);
                    long start = (long) from << 16;
                    long end = (long) to << 16;
                    for (long i = start; i < end; i += S.length()) {
                        acc = acc.add(FloatVector.fromMemorySegment(S, seg, i * 4, ByteOrder.LITTLE_ENDIAN));
                    }
                    sink[w] += acc.reduceLanes(VectorOperators.ADD);
                });
                long ns = System.nanoTime() - t0;
                best = Math.max(best, ((long) chunks << 18) / (ns * 1e-9));
            }
            if (Double.isNaN(sink[0])) throw new IllegalStateException();  // keeps the reads alive
            return best;
        }
    }

    /** Prefill of {@code promptTokens} random tokens, then {@code decodeTokens} greedy one-token steps. */
    public static Result run(Model model, int promptTokens, int decodeTokens, double bandwidth) {
        int vocab = model.config().vocabSize();
        SplittableRandom rnd = new SplittableRandom(1);
        int[] prompt = new int[promptTokens];
        for (int i = 0; i < prompt.length; i++) prompt[i] = rnd.nextInt(vocab);
        // Warm-up: JIT-compile the prefill and decode paths on a short sequence.
        Model.Session warm = model.newSession(64);
        float[] l = warm.append(new int[] {1, 2, 3, 4, 5, 6, 7, 8});
        for (int i = 0; i < 3; i++) l = warm.append(new int[] {Generator.argmax(l)});

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
