package dev.jllm.model.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.kernel.Parallel;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.core.tensor.DType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes Llama-shaped Hugging Face folders ({@code config.json} + {@code model.safetensors}) with random weights and
 * an untied {@code lm_head}, as TinyLlama has, for training benchmarks: a 1.1B-parameter model is generated a slab
 * of rows at a time straight into the file, so writing it takes a few megabytes of memory, not its size.
 * Matrices are uniform(-a, a) with variance 1/fan_in, norms are 1, the embedding has variance 1/3.
 */
public final class RandomHfModel {
    /** Rows generated per parallel piece. */
    private static final int ROWS_PER_PIECE = 64;
    private static final ObjectMapper JSON = new ObjectMapper();

    private RandomHfModel() {}

    /** Parameters of the written model: embedding, layers, final norm and an untied lm_head. */
    public static long parameters(RandomModel.Shape s) {
        return s.parameters() + (long) s.vocab() * s.hidden();
    }

    public static void write(Path folder, RandomModel.Shape s, DType dtype, long seed) {
        if (dtype != DType.F32 && dtype != DType.BF16 && dtype != DType.F16) {
            throw new JllmException("random model dtype must be F32, BF16 or F16, got " + dtype);
        }
        int hd = s.hidden() / s.heads();
        int kv = s.kvHeads() * hd;
        var tensors = new ArrayList<SafetensorsWriter.Streamed>();
        SplittableRandom root = new SplittableRandom(seed);
        tensors.add(matrix("model.embed_tokens.weight", dtype, s.vocab(), s.hidden(), 1.0, root.nextLong()));
        tensors.add(ones("model.norm.weight", dtype, s.hidden()));
        tensors.add(matrix("lm_head.weight", dtype, s.vocab(), s.hidden(), fanIn(s.hidden()), root.nextLong()));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            tensors.add(ones(p + "input_layernorm.weight", dtype, s.hidden()));
            tensors.add(ones(p + "post_attention_layernorm.weight", dtype, s.hidden()));
            tensors.add(matrix(p + "self_attn.q_proj.weight", dtype, s.hidden(), s.hidden(), fanIn(s.hidden()), root.nextLong()));
            tensors.add(matrix(p + "self_attn.k_proj.weight", dtype, kv, s.hidden(), fanIn(s.hidden()), root.nextLong()));
            tensors.add(matrix(p + "self_attn.v_proj.weight", dtype, kv, s.hidden(), fanIn(s.hidden()), root.nextLong()));
            tensors.add(matrix(p + "self_attn.o_proj.weight", dtype, s.hidden(), s.hidden(), fanIn(s.hidden()), root.nextLong()));
            tensors.add(matrix(p + "mlp.gate_proj.weight", dtype, s.intermediate(), s.hidden(), fanIn(s.hidden()), root.nextLong()));
            tensors.add(matrix(p + "mlp.up_proj.weight", dtype, s.intermediate(), s.hidden(), fanIn(s.hidden()), root.nextLong()));
            tensors.add(matrix(p + "mlp.down_proj.weight", dtype, s.hidden(), s.intermediate(), fanIn(s.intermediate()), root.nextLong()));
        }
        ObjectNode config = JSON.createObjectNode();
        config.putArray("architectures").add("LlamaForCausalLM");
        config.put("model_type", "llama");
        config.put("attention_bias", false);
        config.put("bos_token_id", 1);
        config.put("eos_token_id", 2);
        config.put("hidden_act", "silu");
        config.put("hidden_size", s.hidden());
        config.put("initializer_range", 0.02);
        config.put("intermediate_size", s.intermediate());
        config.put("max_position_embeddings", s.context());
        config.put("mlp_bias", false);
        config.put("num_attention_heads", s.heads());
        config.put("num_hidden_layers", s.layers());
        config.put("num_key_value_heads", s.kvHeads());
        config.put("rms_norm_eps", 1e-5);
        config.putNull("rope_scaling");
        config.put("rope_theta", 10000.0);
        config.put("tie_word_embeddings", false);
        config.put("torch_dtype", switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        });
        config.put("vocab_size", s.vocab());
        try {
            Files.createDirectories(folder);
            SafetensorsWriter.writeStreamed(folder.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            Path tmp = folder.resolve("config.json.tmp");
            Files.writeString(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config));
            Files.move(tmp, folder.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(folder + ": cannot write the random model: " + e.getMessage(), e);
        }
    }

    private static double fanIn(int n) {
        return Math.sqrt(3.0 / n);
    }

    private static SafetensorsWriter.Streamed ones(String name, DType dtype, int n) {
        return new SafetensorsWriter.Streamed(name, dtype, new long[]{n}, out -> {
            byte[] b = new byte[n * dtype.byteSize()];
            for (int i = 0; i < n; i++) put(b, i, dtype, 1f);
            out.write(b);
        });
    }

    /** A [rows, cols] matrix of uniform(-a, a); each piece of rows has its own stream, so threads make the same bytes. */
    private static SafetensorsWriter.Streamed matrix(String name, DType dtype, int rows, int cols, double a, long seed) {
        return new SafetensorsWriter.Streamed(name, dtype, new long[]{rows, cols}, out -> {
            int width = dtype.byteSize();
            int pieces = (rows + ROWS_PER_PIECE - 1) / ROWS_PER_PIECE;
            // a slab of pieces per write keeps every core busy while memory stays a few megabytes
            int slab = Math.max(1, Math.min(pieces, Parallel.threads() * 4));
            byte[] buf = new byte[slab * ROWS_PER_PIECE * cols * width];
            for (int first = 0; first < pieces; first += slab) {
                int from = first, to = Math.min(pieces, first + slab);
                Parallel.forRange(to - from, 1, (worker, p0, p1) -> {
                    for (int piece = from + p0; piece < from + p1; piece++) {
                        SplittableRandom r = new SplittableRandom(seed + piece * 0x9E3779B97F4A7C15L);
                        int r0 = piece * ROWS_PER_PIECE, r1 = Math.min(rows, r0 + ROWS_PER_PIECE);
                        int base = (piece - from) * ROWS_PER_PIECE * cols;
                        for (int i = 0; i < (r1 - r0) * cols; i++) put(buf, base + i, dtype, (float) ((r.nextDouble() * 2 - 1) * a));
                    }
                });
                long rowsHere = Math.min(rows, (long) to * ROWS_PER_PIECE) - (long) from * ROWS_PER_PIECE;
                out.write(buf, 0, (int) (rowsHere * cols * width));
            }
        });
    }

    private static void put(byte[] b, int i, DType dtype, float v) {
        switch (dtype) {
            case F32 -> {
                int bits = Float.floatToRawIntBits(v);
                b[4 * i] = (byte) bits;
                b[4 * i + 1] = (byte) (bits >> 8);
                b[4 * i + 2] = (byte) (bits >> 16);
                b[4 * i + 3] = (byte) (bits >> 24);
            }
            default -> {
                short h = dtype == DType.BF16 ? DType.floatToBf16(v) : DType.floatToF16(v);
                b[2 * i] = (byte) h;
                b[2 * i + 1] = (byte) (h >> 8);
            }
        }
    }
}
