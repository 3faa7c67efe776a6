package dev.jllm.model.synth;

import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.gguf.GgufWriter;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.quant.GgmlQuants;
import dev.jllm.core.tensor.DType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes Llama-shaped GGUF models with random weights, for benchmarks and tests: no download, any size, any
 * weight type the kernels support. Linear weights are N(0, 1/fan_in)-like uniform noise and norms are 1, so
 * activations stay in a realistic range through many layers.
 */
public final class RandomModel {
    private RandomModel() {}

    /** The dimensions of a Llama-family decoder. */
    public record Shape(int vocab, int hidden, int intermediate, int layers, int heads, int kvHeads, int context) {
        public Shape {
            if (hidden % heads != 0 || heads % kvHeads != 0) {
                throw new JllmException("hidden must be divisible by heads, heads by kv heads");
            }
        }

        /** Llama 3.2 1B's layout with a 32000-token vocabulary and tied embeddings: about 1.04 billion parameters. */
        public static Shape llama1B() {
            return new Shape(32000, 2048, 8192, 16, 32, 8, 4096);
        }

        /** TinyLlama 1.1B's layout (22 layers, 4 KV heads, intermediate 5632, 32000 vocabulary). */
        public static Shape tinyLlama() {
            return new Shape(32000, 2048, 5632, 22, 32, 4, 2048);
        }

        /** A very small model for tests. */
        public static Shape tiny() {
            return new Shape(256, 64, 128, 2, 4, 2, 512);
        }

        public long parameters() {
            long hd = hidden / heads;
            long perLayer = 2L * hidden * hidden + 2L * hidden * kvHeads * hd + 3L * hidden * intermediate + 2L * hidden;
            return (long) vocab * hidden + layers * perLayer + hidden;
        }

        public static Shape parse(String preset) {
            return switch (preset.toLowerCase(Locale.ROOT)) {
                case "1b" -> llama1B();
                case "tinyllama" -> tinyLlama();
                case "tiny" -> tiny();
                default -> throw new JllmException("unknown model preset '" + preset + "' (known: 1b, tinyllama, tiny)");
            };
        }
    }

    /**
     * Writes a GGUF file with architecture "llama" and tied embeddings. Matrices use {@code type}; the embedding
     * too, norms stay F32 (as llama.cpp's quantizer leaves them).
     */
    public static void writeGguf(Path file, Shape s, GgmlType type, long seed) {
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16 && !GgmlQuants.canQuantize(type)) {
            throw new JllmException("weight type " + type + " cannot be generated (no quantizer)");
        }
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.name", "random-llama-" + s.parameters() / 1_000_000 + "M-" + type);
        w.putUInt32("llama.block_count", s.layers());
        w.putUInt32("llama.context_length", s.context());
        w.putUInt32("llama.embedding_length", s.hidden());
        w.putUInt32("llama.feed_forward_length", s.intermediate());
        w.putUInt32("llama.attention.head_count", s.heads());
        w.putUInt32("llama.attention.head_count_kv", s.kvHeads());
        w.putFloat32("llama.rope.freq_base", 500000.0);
        w.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5);
        w.putUInt32("llama.vocab_size", s.vocab());
        w.putUInt32("tokenizer.ggml.bos_token_id", 1);
        w.putUInt32("tokenizer.ggml.eos_token_id", 2);
        int hd = s.hidden() / s.heads();
        int kvDim = s.kvHeads() * hd;
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom root = new SplittableRandom(seed);
            w.addTensor("token_embd.weight", type, new long[] {s.hidden(), s.vocab()}, matrix(arena, type, s.vocab(), s.hidden(), 1.0, root.split()));
            w.addTensor("output_norm.weight", GgmlType.F32, new long[] {s.hidden()}, ones(arena, s.hidden()));
            for (int l = 0; l < s.layers(); l++) {
                String p = "blk." + l + ".";
                w.addTensor(p + "attn_norm.weight", GgmlType.F32, new long[] {s.hidden()}, ones(arena, s.hidden()));
                w.addTensor(p + "ffn_norm.weight", GgmlType.F32, new long[] {s.hidden()}, ones(arena, s.hidden()));
                w.addTensor(p + "attn_q.weight", type, new long[] {s.hidden(), s.hidden()}, matrix(arena, type, s.hidden(), s.hidden(), fanIn(s.hidden()), root.split()));
                w.addTensor(p + "attn_k.weight", type, new long[] {s.hidden(), kvDim}, matrix(arena, type, kvDim, s.hidden(), fanIn(s.hidden()), root.split()));
                w.addTensor(p + "attn_v.weight", type, new long[] {s.hidden(), kvDim}, matrix(arena, type, kvDim, s.hidden(), fanIn(s.hidden()), root.split()));
                w.addTensor(p + "attn_output.weight", type, new long[] {s.hidden(), s.hidden()}, matrix(arena, type, s.hidden(), s.hidden(), fanIn(s.hidden()), root.split()));
                w.addTensor(p + "ffn_gate.weight", type, new long[] {s.hidden(), s.intermediate()}, matrix(arena, type, s.intermediate(), s.hidden(), fanIn(s.hidden()), root.split()));
                w.addTensor(p + "ffn_up.weight", type, new long[] {s.hidden(), s.intermediate()}, matrix(arena, type, s.intermediate(), s.hidden(), fanIn(s.hidden()), root.split()));
                w.addTensor(p + "ffn_down.weight", type, new long[] {s.intermediate(), s.hidden()}, matrix(arena, type, s.hidden(), s.intermediate(), fanIn(s.intermediate()), root.split()));
            }
            w.write(file);
        }
    }

    private static double fanIn(int n) {
        return Math.sqrt(3.0 / n);  // uniform(-a, a) has variance a^2/3 = 1/n
    }

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static MemorySegment ones(Arena arena, int n) {
        MemorySegment seg = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) seg.set(F32, 4L * i, 1f);
        return seg;
    }

    /** A [rows, cols] matrix of uniform(-a, a) values in {@code type}, generated and encoded row block by row block. */
    private static MemorySegment matrix(Arena arena, GgmlType type, int rows, int cols, double a, SplittableRandom rnd) {
        long rowBytes = type.byteSize(cols);
        MemorySegment seg = arena.allocate(rowBytes * rows, 64);
        long baseSeed = rnd.nextLong();
        int block = 64;
        int blocks = (rows + block - 1) / block;
        Parallel.forRange(blocks, 1, (worker, from, to) -> {
            float[] row = new float[cols];
            for (int b = from; b < to; b++) {
                SplittableRandom r = new SplittableRandom(baseSeed + b);
                for (int i = b * block; i < Math.min(rows, (b + 1) * block); i++) {
                    for (int c = 0; c < cols; c++) row[c] = (float) ((r.nextDouble() * 2 - 1) * a);
                    long off = rowBytes * i;
                    switch (type) {
                        case F32 -> MemorySegment.copy(row, 0, seg, F32, off, cols);
                        case F16 -> { for (int c = 0; c < cols; c++) seg.set(I16, off + 2L * c, DType.floatToF16(row[c])); }
                        case BF16 -> { for (int c = 0; c < cols; c++) seg.set(I16, off + 2L * c, DType.floatToBf16(row[c])); }
                        default -> {
                            byte[] q = GgmlQuants.quantizeToBytes(type, row, 0, cols);
                            MemorySegment.copy(MemorySegment.ofArray(q), 0, seg, off, q.length);
                        }
                    }
                }
            }
        });
        return seg;
    }
}
