package dev.jllm.train.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.Bnb4bitQuantizer;
import dev.jllm.core.quant.bnb.Bnb4bitWeight;
import dev.jllm.core.quant.bnb.Bnb8bitLayout;
import dev.jllm.core.quant.bnb.Bnb8bitWeight;
import dev.jllm.core.quant.bnb.BnbLayout;
import dev.jllm.core.safetensors.Checkpoint;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.core.tensor.DType;
import dev.jllm.model.config.ModelConfig;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.model.HfFolderWriter;
import dev.jllm.train.nn.FrozenWeight;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * 4-bit (QLoRA) and 8-bit (LLM.int8) models: quantizing a loaded model at load time as transformers + bitsandbytes
 * do, loading pre-quantized {@code *-bnb-4bit} / 8-bit checkpoints, saving in those layouts, and
 * {@code prepare_model_for_kbit_training}.
 * The quantized layers keep no dense copy: their weight parameters are deferred and dequantize only if something asks
 * for their values (merging an adapter, a dense save); the products read the codes.
 */
public final class QuantizedModels {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EMBEDDING = "model.embed_tokens.weight", HEAD = "lm_head.weight";

    private QuantizedModels() {}

    /**
     * A loaded model and its quantization (null for a full-precision model); {@code quantizedAtLoad} counts the
     * layers quantized while loading (0 when the checkpoint was quantized already, or stays full precision).
     */
    public record Loaded(CausalLm model, BitsAndBytesConfig quantization, int quantizedAtLoad) {}

    /** Loads a folder, full precision or bitsandbytes 4-bit / 8-bit (detected from config.json's quantization_config). */
    public static Loaded load(Path folder) {
        return load(folder, null);
    }

    /**
     * Loads a folder; a full-precision one is quantized with {@code quantizeIfDense} (when not null) tensor by
     * tensor as it is read, as transformers loads with a {@code BitsAndBytesConfig}: each selected weight is
     * quantized and its float values dropped before the next is read, so loading never holds the dense model. A
     * checkpoint that is quantized already keeps its own quantization.
     */
    public static Loaded load(Path folder, BitsAndBytesConfig quantizeIfDense) {
        return load(folder, quantizeIfDense, null);
    }

    /**
     * {@link #load(Path, BitsAndBytesConfig)}, with the embedding and the output head kept frozen in {@code half}
     * (BF16 or F16; null keeps them float32 and trainable) and the hidden states between blocks in that dtype too:
     * a 16-bit model around its 4-bit projections, as transformers loads one with {@code torch_dtype=bfloat16}.
     * The head goes from the mapped file straight into 16 bits, never through float32; an untied embedding stays in
     * the file ({@link DiskEmbedding}: a lookup reads only its rows), a tied one is the head's table.
     */
    public static Loaded load(Path folder, BitsAndBytesConfig quantizeIfDense, DType half) {
        Path configFile = Files.isDirectory(folder) ? folder.resolve("config.json") : folder;
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(configFile));
        } catch (IOException e) {
            throw new JllmException(configFile + ": cannot read the model config: " + e.getMessage(), e);
        }
        BitsAndBytesConfig stored = BitsAndBytesConfig.fromModelConfig(configFile.toString(), root);
        if (stored == null && quantizeIfDense == null) return new Loaded(CausalLm.load(folder), null, 0);
        BitsAndBytesConfig bnb = stored != null ? stored : quantizeIfDense;
        int[] counts = new int[2];  // tensors found quantized in the file, projections quantized while loading
        StoredForm storedForm = stored == null ? (ckpt, name, shape) -> null : (ckpt, name, shape) -> {
            Frozen f = readStored(folder, bnb, ckpt, name, shape);
            if (f != null) counts[0]++;
            return f;
        };
        ProjectionForm projection = stored != null ? (module, t) -> null : (module, t) -> {
            if (!bnb.quantizes(module)) return null;
            counts[1]++;
            if (bnb.loadIn8bit()) {
                Bnb8bitWeight w = Bnb8bitWeight.quantize(t.toFloatArray(), (int) t.shape()[0], (int) t.shape()[1]);
                return new Frozen(new Int8Linear(w, bnb.llmInt8Threshold()), w::dequantize);
            }
            // block by block straight from the mapped tensor: not even one dense float copy of it
            Bnb4bitWeight w = Bnb4bitQuantizer.quantize(t, bnb.quantType(), bnb.useDoubleQuant());
            return new Frozen(new QuantizedLinear(w, bnb.computeDtype()), w::dequantize);
        };
        CausalLm model = build(folder, ModelConfig.fromJson(folder), half, storedForm, projection);
        if (stored != null && counts[0] == 0) {
            throw new JllmException(folder + ": config.json declares " + (bnb.loadIn8bit() ? "8" : "4") + "-bit quantization but no tensor is stored in bitsandbytes' "
                    + (bnb.loadIn8bit() ? "8" : "4") + "-bit layout");
        }
        return new Loaded(model, bnb, counts[1]);
    }

    /** Tensor {@code name} as the file stores it in a bitsandbytes layout, checked against config.json; null when it is dense. */
    private static Frozen readStored(Path folder, BitsAndBytesConfig bnb, Checkpoint ckpt, String name, long[] shape) {
        if (Bnb8bitLayout.isQuantized(ckpt, name)) {
            if (!bnb.loadIn8bit()) throw new JllmException(folder + ": tensor '" + name + "' is stored in 8 bits but quantization_config says load_in_4bit");
            Bnb8bitWeight w = Bnb8bitLayout.read(ckpt, name);
            if (!Arrays.equals(w.shape(), shape)) {
                throw new JllmException(folder + ": 8-bit tensor '" + name + "' has shape " + Arrays.toString(w.shape())
                        + ", expected " + Arrays.toString(shape) + " from config.json");
            }
            return new Frozen(new Int8Linear(w, bnb.llmInt8Threshold()), w::dequantize);
        }
        if (BnbLayout.isQuantized(ckpt, name)) {
            if (bnb.loadIn8bit()) throw new JllmException(folder + ": tensor '" + name + "' is stored in 4 bits but quantization_config says load_in_8bit");
            Bnb4bitWeight w = BnbLayout.read(ckpt, name);
            if (!Arrays.equals(w.shape(), shape)) {
                throw new JllmException(folder + ": 4-bit tensor '" + name + "' has shape " + Arrays.toString(w.shape())
                        + ", expected " + Arrays.toString(shape) + " from config.json");
            }
            if (w.type() != bnb.quantType()) {
                throw new JllmException(folder + ": tensor '" + name + "' is " + w.type().bnbName() + " but quantization_config says " + bnb.quantType().bnbName());
            }
            return new Frozen(new QuantizedLinear(w, bnb.computeDtype()), w::dequantize);
        }
        return null;
    }

    /** A tensor's frozen form, and the float32 values a dense save or a merge takes from it. */
    record Frozen(FrozenWeight weight, Supplier<float[]> values) {}

    /** A tensor the file may hold pre-quantized: its frozen form, or null when the file holds it dense. */
    @FunctionalInterface
    interface StoredForm {
        Frozen read(Checkpoint ckpt, String name, long[] shape);
    }

    /** A dense projection's frozen form (module name, tensor), or null to keep it a float32 parameter. */
    @FunctionalInterface
    interface ProjectionForm {
        Frozen freeze(String module, SafeTensor tensor);
    }

    /**
     * The walk over a checkpoint that the frozen-base loaders share (QLoRA's here, the bf16 LoRA base's in
     * {@link FrozenBases}): tensor by tensor from the mapped file, each one's pages given back once it is read.
     * A tensor {@code stored} recognizes keeps its stored form; a projection {@code projection} freezes goes straight
     * into that form; with {@code half} the embedding and head are frozen 16-bit (an untied embedding stays in the
     * file: {@link DiskEmbedding}) and so are the hidden states; everything else is a float32 parameter. The frozen
     * tensors hold no float32 values: their parameters compute them only if asked.
     */
    static CausalLm build(Path folder, ModelConfig config, DType half, StoredForm stored, ProjectionForm projection) {
        var weights = new LinkedHashMap<String, float[]>();
        var frozen = new LinkedHashMap<String, Frozen>();
        DiskEmbedding onDisk = null;
        try (Checkpoint ckpt = Checkpoint.open(folder)) {
            for (var e : CausalLm.expectedShapes(config).entrySet()) {
                String name = e.getKey();
                Frozen f = stored.read(ckpt, name, e.getValue());
                if (f != null) {
                    frozen.put(name, f);
                    continue;
                }
                SafeTensor t = checkedTensor(ckpt, folder, name, e.getValue());
                if (half != null && name.equals(EMBEDDING) && !config.tieWordEmbeddings()) {
                    onDisk = DiskEmbedding.of(ckpt, name, half);  // only the looked-up rows are ever needed
                } else if (half != null && (name.equals(EMBEDDING) || name.equals(HEAD))) {
                    HalfLinear h = HalfLinear.of(t, half);
                    frozen.put(name, new Frozen(h, h::dequantized));
                } else if (name.endsWith("_proj.weight")
                        && (f = projection.freeze(name.substring(0, name.length() - ".weight".length()), t)) != null) {
                    frozen.put(name, f);
                } else {
                    weights.put(name, t.toFloatArray());
                }
                // a mapped tensor's pages would otherwise stay in this process's resident set until the file closes
                if (t.data().isMapped()) t.data().unload();
            }
        }
        var deferred = new HashMap<String, Supplier<float[]>>();
        frozen.forEach((name, f) -> deferred.put(name, f.values()));
        if (onDisk != null) deferred.put(EMBEDDING, onDisk::dequantized);
        CausalLm model = CausalLm.of(config, weights, deferred);
        for (var e : model.linearsByName().entrySet()) {
            Frozen f = frozen.get(e.getKey() + ".weight");
            if (f != null) e.getValue().freezeAs(f.weight());
        }
        if (half != null) {
            Frozen embedding = frozen.get(EMBEDDING), head = frozen.get(HEAD);
            freezeSixteenBitRest(model, onDisk, embedding == null ? null : (HalfLinear) embedding.weight(),
                    head == null ? null : head.weight(), half);
        }
        return model;
    }

    /** The checkpoint's dense tensor {@code name}, refused with the folder and the expected shape when missing or shaped otherwise. */
    static SafeTensor checkedTensor(Checkpoint ckpt, Path folder, String name, long[] shape) {
        if (!ckpt.has(name)) throw new JllmException(folder + ": checkpoint has no tensor '" + name + "'");
        SafeTensor t = ckpt.tensor(name);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new JllmException(folder + ": tensor '" + name + "' has shape " + Arrays.toString(t.shape())
                    + ", expected " + Arrays.toString(shape) + " from config.json");
        }
        return t;
    }

    /**
     * The rest of a 16-bit model around frozen projections: embedding and head frozen in 16 bits (an untied embedding
     * read from its file, {@code onDisk}; a tied one is {@code embedding}, the head's table) and the hidden states
     * between blocks in {@code half}.
     */
    static void freezeSixteenBitRest(CausalLm model, DiskEmbedding onDisk, HalfLinear embedding, FrozenWeight head, DType half) {
        if (model.config().tieWordEmbeddings()) model.freezeEmbeddingAndHead(embedding, embedding);
        else model.freezeEmbeddingAndHead(onDisk, head);
        model.setHiddenStateDtype(half);
    }

    /** Quantizes every linear layer the config selects (not the output head), as loading with it would. */
    public static int quantize(CausalLm model, BitsAndBytesConfig config) {
        int n = 0;
        for (var e : model.linearsByName().entrySet()) {
            if (!config.quantizes(e.getKey()) || e.getValue().frozen() != null) continue;
            LinearLayer lin = e.getValue();
            float[] v = lin.weight().value();
            // the dense values go: merging or a dense save recomputes them from the codes
            if (config.loadIn8bit()) {
                Bnb8bitWeight w = Bnb8bitWeight.quantize(v, lin.out(), lin.in());
                lin.freezeAs(new Int8Linear(w, config.llmInt8Threshold()));
                lin.weight().defer(w::dequantize);
            } else {
                Bnb4bitWeight w = Bnb4bitWeight.quantize(v, new long[]{lin.out(), lin.in()}, config.quantType(), config.useDoubleQuant());
                lin.freezeAs(new QuantizedLinear(w, config.computeDtype()));
                lin.weight().defer(w::dequantize);
            }
            n++;
        }
        return n;
    }

    /**
     * Sets the LLM.int8 outlier threshold of every 8-bit layer: a runtime setting of {@code Linear8bitLt}, not stored
     * with the weights, so a saved 8-bit model may run with another threshold than it was saved with.
     */
    public static void setInt8Threshold(CausalLm model, double threshold) {
        for (LinearLayer lin : model.linearsByName().values()) {
            if (lin.frozen() instanceof Int8Linear q) lin.freezeAs(new Int8Linear(q.weight(), threshold));
        }
    }

    /**
     * PEFT's {@code prepare_model_for_kbit_training}: every base parameter frozen, gradient checkpointing on. Norms
     * need no up-cast: this engine keeps them in float32 already.
     */
    public static void prepareForKbitTraining(CausalLm model) {
        for (Parameter p : model.parameters()) p.setTrainable(false);
        model.setGradientCheckpointing(true);
    }

    /**
     * Writes {@code model.safetensors} with the 4-bit / 8-bit layers in bitsandbytes' layout and everything else float32,
     * {@code config.json} with the quantization_config, and the tokenizer files of {@code sourceFolder}.
     */
    public static void save(CausalLm model, BitsAndBytesConfig config, Path sourceFolder, Path outDir) {
        var frozen = new HashMap<String, FrozenWeight>();
        for (var e : model.linearsByName().entrySet()) {
            if (e.getValue().frozen() != null) frozen.put(e.getKey() + ".weight", e.getValue().frozen());
        }
        var tensors = new ArrayList<SafeTensor>();
        for (Parameter p : model.parameters()) {
            FrozenWeight q = frozen.get(p.name());
            if (q instanceof QuantizedLinear q4) {
                tensors.addAll(BnbLayout.tensors(p.name(), q4.weight()));
                continue;
            }
            if (q instanceof Int8Linear q8) {
                tensors.addAll(Bnb8bitLayout.tensors(p.name(), q8.weight()));
                continue;
            }
            long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
            tensors.add(SafeTensor.ofFloats(p.name(), shape, p.value()));
        }
        try {
            Files.createDirectories(outDir);
            SafetensorsWriter.write(outDir.resolve("model.safetensors"), tensors, Map.of("format", "pt"));
            ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(sourceFolder.resolve("config.json")));
            root.set("quantization_config", config.toJson());
            write(outDir.resolve("config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
            for (String name : HfFolderWriter.COPIED) {
                Path src = sourceFolder.resolve(name);
                if (name.equals("config.json") || !Files.isRegularFile(src)) continue;
                if (src.toAbsolutePath().normalize().equals(outDir.resolve(name).toAbsolutePath().normalize())) continue;
                Path tmp = outDir.resolve(name + ".tmp");
                Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, outDir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            throw new JllmException(outDir + ": cannot save the quantized model: " + e.getMessage(), e);
        }
    }

    private static void write(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
