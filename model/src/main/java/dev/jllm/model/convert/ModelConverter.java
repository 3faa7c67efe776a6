package dev.jllm.model.convert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgmlType;
import dev.jllm.core.gguf.GgufFile;
import dev.jllm.core.gguf.GgufTensor;
import dev.jllm.core.gguf.GgufWriter;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.core.tensor.DType;
import dev.jllm.model.arch.Rope;
import dev.jllm.model.config.ConfigJson;
import dev.jllm.model.config.Family;
import dev.jllm.model.config.GenerationConfig;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.model.config.MoeConfig;
import dev.jllm.model.config.RopeScaling;
import dev.jllm.model.load.GgufStore;
import dev.jllm.model.load.RopePermutation;
import dev.jllm.model.load.TensorNames;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Converts between a GGUF file and a Hugging Face folder (config.json, generation_config.json, model.safetensors)
 * for F32, F16 and BF16 weights, with llama.cpp's tensor names, q/k row order for the Llama family, expert
 * stacking for MoE, and Llama 3 RoPE scaling as {@code rope_freqs.weight}. Outputs are written to a temporary
 * sibling and renamed into place, so a failure leaves no half-written model.
 */
public final class ModelConverter {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern GGUF_EXPERTS = Pattern.compile("blk\\.(\\d+)\\.ffn_(gate|up|down)_exps\\.weight");
    private static final Pattern HF_EXPERT = Pattern.compile("model\\.layers\\.(\\d+)\\.(?:mlp|block_sparse_moe)\\.experts\\.(\\d+)\\.(\\w+)\\.weight");

    private ModelConverter() {}

    /**
     * Converts a .gguf file to an HF folder, or an HF folder to a .gguf file, by the input's kind.
     *
     * @return notes on what could not be carried over (e.g. a tokenizer kind that is not converted)
     */
    public static List<String> convert(Path input, Path output) {
        if (Files.isDirectory(input)) {
            if (!output.getFileName().toString().endsWith(".gguf")) {
                throw new JllmException(output + ": converting a Hugging Face folder needs an output file ending in .gguf");
            }
            return hfToGguf(input, output);
        } else if (input.getFileName().toString().endsWith(".gguf")) {
            return ggufToHf(input, output);
        } else {
            throw new JllmException(input + ": expected a .gguf file or a Hugging Face model folder");
        }
    }

    // ------------------------------------------------------------------------------------------ GGUF -> HF

    public static List<String> ggufToHf(Path ggufPath, Path folder) {
        List<String> notes = new ArrayList<>();
        if (Files.exists(folder) && !isEmptyDir(folder)) {
            throw new JllmException(folder + ": output folder exists and is not empty");
        }
        try (GgufFile gguf = GgufFile.open(ggufPath)) {
            Set<String> names = new HashSet<>();
            for (GgufTensor t : gguf.tensors()) names.add(t.name());
            float[] divisors = gguf.hasTensor("rope_freqs.weight") ? GgufStore.readFloats(gguf.tensor("rope_freqs.weight")) : null;
            if (!gguf.hasTensor("token_embd.weight")) throw new JllmException(ggufPath + ": tensor 'token_embd.weight' is missing");
            ModelConfig config = ModelConfig.fromGguf(ggufPath.toString(), gguf.metadata(), divisors,
                    gguf.hasTensor("output.weight"), Math.toIntExact(gguf.tensor("token_embd.weight").rows()), names);
            if (config.ropeScaling() instanceof RopeScaling.Divisors d) {
                config = withRopeScaling(config, llama3FromDivisors(config, d.divisors(), ggufPath));
            }
            boolean permute = permutesQk(config);
            List<SafeTensor> out = new ArrayList<>();
            Map<DType, Integer> dtypeVotes = new HashMap<>();
            try (Arena arena = Arena.ofConfined()) {
                for (GgufTensor t : gguf.tensors()) {
                    if (t.name().equals("rope_freqs.weight")) continue;
                    DType dtype = dtypeOf(t.type(), ggufPath, t.name());
                    Matcher m = GGUF_EXPERTS.matcher(t.name());
                    if (m.matches()) {
                        if (t.shape().length != 3) throw new JllmException(ggufPath + ": tensor '" + t.name() + "' must be 3-D");
                        long rows = t.shape()[1], cols = t.shape()[0];
                        long bytes = t.type().byteSize(rows * cols);
                        String proj = switch (m.group(2)) {
                            case "gate" -> config.family() == Family.MIXTRAL ? "w1" : "gate_proj";
                            case "up" -> config.family() == Family.MIXTRAL ? "w3" : "up_proj";
                            default -> config.family() == Family.MIXTRAL ? "w2" : "down_proj";
                        };
                        String base = "model.layers." + m.group(1) + (config.family() == Family.MIXTRAL ? ".block_sparse_moe" : ".mlp") + ".experts.";
                        for (int e = 0; e < t.shape()[2]; e++) {
                            out.add(new SafeTensor(base + e + "." + proj + ".weight", dtype, new long[] {rows, cols},
                                    t.data().asSlice(bytes * e, bytes)));
                        }
                        continue;
                    }
                    String hf = TensorNames.toHf(t.name()).orElseThrow(() -> new JllmException(ggufPath + ": tensor '"
                            + t.name() + "' has no Hugging Face equivalent"));
                    if (config.family() == Family.MIXTRAL && hf.endsWith(".mlp.gate.weight")) {
                        hf = hf.replace(".mlp.gate.weight", ".block_sparse_moe.gate.weight");
                    }
                    long[] shape = reversed(t.shape());
                    MemorySegment data = t.data();
                    if (permute && isQk(t.name())) {
                        int rows = (int) shape[0];
                        int heads = t.name().contains("attn_q") ? config.numHeads() : config.numKvHeads();
                        long rowBytes = t.type().byteSize(shape.length == 2 ? shape[1] : 1);
                        data = permuteRows(arena, data, rowBytes, rows, RopePermutation.hfFromGguf(rows, heads));
                    }
                    if (shape.length == 2) dtypeVotes.merge(dtype, 1, Integer::sum);
                    out.add(new SafeTensor(hf, dtype, shape, data));
                }
                DType main = dtypeVotes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(DType.F32);
                ObjectNode configJson = ConfigJson.toJson(config, torchDtype(main));
                ObjectNode gen = JSON.createObjectNode();
                if (config.bosTokenId() != null) gen.put("bos_token_id", config.bosTokenId());
                ConfigJson.putIds(gen, "eos_token_id", config.eosTokenIds());
                String tokenizerModel = gguf.optString("tokenizer.ggml.model").orElse(null);
                SentencePieceTokenizerJson spm = "llama".equals(tokenizerModel) && gguf.has("tokenizer.ggml.tokens")
                        ? new SentencePieceTokenizerJson(gguf, config.maxPositionEmbeddings()) : null;
                if (spm == null && tokenizerModel != null) {
                    notes.add("tokenizer not converted: GGUF tokenizer model '" + tokenizerModel
                            + "' (only SentencePiece 'llama' vocabularies are converted to tokenizer.json)");
                }
                writeFolder(folder, tmp -> {
                    SafetensorsWriter.write(tmp.resolve("model.safetensors"), out, Map.of("format", "pt"));
                    if (spm != null) {
                        var w = JSON.writerWithDefaultPrettyPrinter();
                        Files.writeString(tmp.resolve("tokenizer.json"), JSON.writeValueAsString(spm.tokenizerJson()));
                        Files.writeString(tmp.resolve("tokenizer_config.json"), w.writeValueAsString(spm.tokenizerConfig()) + "\n");
                        Files.writeString(tmp.resolve("special_tokens_map.json"), w.writeValueAsString(spm.specialTokensMap()) + "\n");
                    }
                    Files.writeString(tmp.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(configJson) + "\n");
                    Files.writeString(tmp.resolve("generation_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(gen) + "\n");
                });
            }
        }
        return notes;
    }

    /**
     * Recovers Llama 3 scaling parameters from llama.cpp's divisors: factor is the largest divisor, and the band
     * edges follow from which frequencies are untouched (divisor 1) or fully divided; original_max_position
     * and the band factors must reproduce every divisor, else the file cannot be expressed as config.json.
     */
    private static RopeScaling llama3FromDivisors(ModelConfig c, float[] divisors, Path source) {
        float[] base = new Rope(c.headDim(), c.ropeTheta(), new RopeScaling.None(), c.maxPositionEmbeddings()).inverseFrequencies(1);
        double factor = 1;
        for (float d : divisors) factor = Math.max(factor, d);
        // Try the (low, high, original) combinations real checkpoints use, scaled to this context.
        double[][] bands = {{1, 4}, {1, 2}, {2, 4}, {1, 8}, {1, 1}};
        for (double[] band : bands) {
            for (int orig = 1; orig <= 1 << 20; orig <<= 1) {
                RopeScaling.Llama3 candidate = new RopeScaling.Llama3(factor, band[0], band[1], orig);
                float[] scaled = new Rope(c.headDim(), c.ropeTheta(), candidate, c.maxPositionEmbeddings()).inverseFrequencies(1);
                boolean ok = true;
                for (int i = 0; i < divisors.length && ok; i++) {
                    ok = Math.abs(base[i] / scaled[i] - divisors[i]) <= 1e-4 * divisors[i];
                }
                if (ok) return candidate;
            }
        }
        throw new JllmException(source + ": tensor 'rope_freqs.weight' does not match any Llama 3 rope_scaling, so it has no config.json equivalent");
    }

    private static ModelConfig withRopeScaling(ModelConfig c, RopeScaling s) {
        return new ModelConfig(c.source(), c.family(), c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numLayers(),
                c.numHeads(), c.numKvHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), s, c.maxPositionEmbeddings(),
                c.tieWordEmbeddings(), c.qkvBias(), c.outputBias(), c.mlpBias(), c.qkNorm(), c.slidingWindows(), c.moe(),
                c.dtype(), c.bosTokenId(), c.eosTokenIds());
    }

    // ------------------------------------------------------------------------------------------ HF -> GGUF

    public static List<String> hfToGguf(Path folder, Path ggufPath) {
        ModelConfig c = ModelConfig.fromJson(folder);
        GenerationConfig gen = GenerationConfig.read(folder);
        String arch = switch (c.family()) {
            case LLAMA, MISTRAL, MIXTRAL -> "llama";
            case QWEN2 -> "qwen2";
            case QWEN3 -> "qwen3";
            case QWEN3_MOE -> "qwen3moe";
        };
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", arch);
        w.putString("general.name", folder.toAbsolutePath().getFileName().toString());
        String p = arch + ".";
        w.putUInt32(p + "block_count", c.numLayers());
        w.putUInt32(p + "context_length", c.maxPositionEmbeddings());
        w.putUInt32(p + "embedding_length", c.hiddenSize());
        w.putUInt32(p + "feed_forward_length", c.intermediateSize());
        w.putUInt32(p + "attention.head_count", c.numHeads());
        w.putUInt32(p + "attention.head_count_kv", c.numKvHeads());
        w.putFloat32(p + "rope.freq_base", c.ropeTheta());
        w.putFloat32(p + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putUInt32(p + "attention.key_length", c.headDim());
        w.putUInt32(p + "attention.value_length", c.headDim());
        w.putUInt32(p + "vocab_size", c.vocabSize());
        w.putUInt32(p + "rope.dimension_count", c.headDim());
        int window = c.slidingWindows().stream().mapToInt(Integer::intValue).max().orElse(0);
        if (window > 0) {
            if (c.slidingWindows().stream().anyMatch(x -> x != window)) {
                throw new JllmException(c.source() + ": GGUF can only express one sliding window for every layer");
            }
            w.putUInt32(p + "attention.sliding_window", window);
        }
        if (c.moe() != null) {
            MoeConfig m = c.moe();
            w.putUInt32(p + "expert_count", m.numExperts());
            w.putUInt32(p + "expert_used_count", m.expertsPerToken());
            w.putUInt32(p + "expert_feed_forward_length", m.expertIntermediateSize());
            if (c.family() == Family.QWEN3_MOE) w.putBool(p + "expert_weights_norm", m.normalizeTopK());
        }
        List<String> notes = new ArrayList<>();
        // The tokenizer's own ids first; generation_config.json's BOS/EOS (what generation stops on) win.
        SentencePieceGgufVocab.write(folder, w).ifPresent(notes::add);
        Integer bos = gen.bosTokenId() != null ? gen.bosTokenId() : c.bosTokenId();
        List<Integer> eos = !gen.eosTokenIds().isEmpty() ? gen.eosTokenIds() : c.eosTokenIds();
        if (bos != null) w.putUInt32("tokenizer.ggml.bos_token_id", bos);
        if (!eos.isEmpty()) w.putUInt32("tokenizer.ggml.eos_token_id", eos.get(0));
        switch (c.ropeScaling()) {
            case RopeScaling.None n -> { }
            case RopeScaling.Linear(double f) -> {
                w.putString(p + "rope.scaling.type", "linear");
                w.putFloat32(p + "rope.scaling.factor", f);
            }
            case RopeScaling.Llama3 l -> {
                float[] base = new Rope(c.headDim(), c.ropeTheta(), new RopeScaling.None(), c.maxPositionEmbeddings()).inverseFrequencies(1);
                float[] scaled = new Rope(c.headDim(), c.ropeTheta(), l, c.maxPositionEmbeddings()).inverseFrequencies(1);
                float[] divisors = new float[base.length];
                for (int i = 0; i < base.length; i++) divisors[i] = base[i] / scaled[i];
                MemorySegment seg = MemorySegment.ofArray(new byte[divisors.length * 4]);
                for (int i = 0; i < divisors.length; i++) seg.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), 4L * i, divisors[i]);
                w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {divisors.length}, seg);
            }
            case RopeScaling.Dynamic d -> throw new JllmException(c.source() + ": dynamic RoPE scaling has no GGUF equivalent");
            case RopeScaling.Divisors d -> throw new IllegalStateException("config.json never yields divisors");
        }
        boolean permute = permutesQk(c);
        try (Checkpoint ckpt = Checkpoint.open(folder); Arena arena = Arena.ofConfined()) {
            // Experts are stacked per (layer, projection) into one 3-D tensor, expert 0 first.
            Map<String, TreeMap<Integer, SafeTensor>> experts = new TreeMap<>();
            for (String name : new java.util.TreeSet<>(ckpt.names())) {
                SafeTensor t = ckpt.tensor(name);
                GgmlType type = ggmlOf(t.dtype(), ckpt.source(), name);
                Matcher m = HF_EXPERT.matcher(name);
                if (m.matches()) {
                    String proj = switch (m.group(3)) {
                        case "gate_proj", "w1" -> "gate";
                        case "up_proj", "w3" -> "up";
                        case "down_proj", "w2" -> "down";
                        default -> throw new JllmException(ckpt.source() + ": tensor '" + name + "' is not a known expert projection");
                    };
                    experts.computeIfAbsent("blk." + m.group(1) + ".ffn_" + proj + "_exps.weight", k -> new TreeMap<>())
                            .put(Integer.parseInt(m.group(2)), t);
                    continue;
                }
                TensorNames.GgufName g = TensorNames.toGguf(name).orElseThrow(() -> new JllmException(ckpt.source()
                        + ": tensor '" + name + "' has no GGUF equivalent"));
                MemorySegment data = t.data();
                if (permute && isQk(g.name())) {
                    int rows = (int) t.shape()[0];
                    int heads = g.name().contains("attn_q") ? c.numHeads() : c.numKvHeads();
                    long rowBytes = (long) t.dtype().byteSize() * (t.shape().length == 2 ? t.shape()[1] : 1);
                    data = permuteRows(arena, data, rowBytes, rows, RopePermutation.ggufFromHf(rows, heads));
                }
                w.addTensor(g.name(), type, reversed(t.shape()), data);
            }
            for (var e : experts.entrySet()) {
                TreeMap<Integer, SafeTensor> byIndex = e.getValue();
                SafeTensor first = byIndex.firstEntry().getValue();
                if (byIndex.firstKey() != 0 || byIndex.lastKey() != byIndex.size() - 1) {
                    throw new JllmException(ckpt.source() + ": experts of " + e.getKey() + " are not numbered 0.." + (byIndex.size() - 1));
                }
                long bytes = first.data().byteSize();
                MemorySegment stacked = arena.allocate(bytes * byIndex.size(), 64);
                for (var x : byIndex.entrySet()) {
                    if (!java.util.Arrays.equals(x.getValue().shape(), first.shape()) || x.getValue().dtype() != first.dtype()) {
                        throw new JllmException(ckpt.source() + ": tensor '" + x.getValue().name() + "' differs in shape or dtype from expert 0");
                    }
                    MemorySegment.copy(x.getValue().data(), 0, stacked, bytes * x.getKey(), bytes);
                }
                w.addTensor(e.getKey(), ggmlOf(first.dtype(), ckpt.source(), first.name()),
                        new long[] {first.shape()[1], first.shape()[0], byIndex.size()}, stacked);
            }
            w.write(ggufPath);
        }
        return notes;
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static boolean permutesQk(ModelConfig c) {
        return c.family() == Family.LLAMA || c.family() == Family.MISTRAL || c.family() == Family.MIXTRAL;
    }

    private static boolean isQk(String ggufName) {
        return ggufName.endsWith("attn_q.weight") || ggufName.endsWith("attn_k.weight")
                || ggufName.endsWith("attn_q.bias") || ggufName.endsWith("attn_k.bias");
    }

    /** out row r = source row {@code from[r]}. */
    private static MemorySegment permuteRows(Arena arena, MemorySegment src, long rowBytes, int rows, int[] from) {
        MemorySegment out = arena.allocate(rowBytes * rows, 64);
        for (int r = 0; r < rows; r++) MemorySegment.copy(src, from[r] * rowBytes, out, r * rowBytes, rowBytes);
        return out;
    }

    private static long[] reversed(long[] shape) {
        long[] r = new long[shape.length];
        for (int i = 0; i < shape.length; i++) r[i] = shape[shape.length - 1 - i];
        return r;
    }

    private static DType dtypeOf(GgmlType type, Path file, String tensor) {
        return switch (type) {
            case F32 -> DType.F32;
            case F16 -> DType.F16;
            case BF16 -> DType.BF16;
            default -> throw new JllmException(file + ": tensor '" + tensor + "' is " + type
                    + "; conversion supports F32, F16 and BF16 only");
        };
    }

    private static GgmlType ggmlOf(DType dtype, Path file, String tensor) {
        return switch (dtype) {
            case F32 -> GgmlType.F32;
            case F16 -> GgmlType.F16;
            case BF16 -> GgmlType.BF16;
            default -> throw new JllmException(file + ": tensor '" + tensor + "' is " + dtype
                    + "; conversion supports F32, F16 and BF16 only");
        };
    }

    private static String torchDtype(DType d) {
        return switch (d) {
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            default -> "float32";
        };
    }

    @FunctionalInterface
    interface FolderBody {
        void write(Path tmp) throws IOException;
    }

    /** Writes into a temporary sibling folder, then renames it to {@code folder}. */
    static void writeFolder(Path folder, FolderBody body) {
        Path abs = folder.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.createDirectories(tmp);
            body.write(tmp);
            if (Files.isDirectory(abs)) Files.delete(abs);  // empty (checked by the caller)
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTree(tmp);
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    private static boolean isEmptyDir(Path p) {
        if (!Files.isDirectory(p)) return false;
        try (Stream<Path> s = Files.list(p)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path p) {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
        } catch (IOException ignored) {
            // best effort: the temporary folder is hidden and named after this process
        }
    }
}
