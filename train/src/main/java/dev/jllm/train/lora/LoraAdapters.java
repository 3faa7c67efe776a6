package dev.jllm.train.lora;

import dev.jllm.core.JllmException;
import dev.jllm.core.safetensors.SafeTensor;
import dev.jllm.core.safetensors.SafetensorsFile;
import dev.jllm.core.safetensors.SafetensorsWriter;
import dev.jllm.train.model.CausalLm;
import dev.jllm.train.nn.LinearLayer;
import dev.jllm.train.nn.Parameter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Attaches, saves and merges LoRA adapters in PEFT's on-disk format: {@code adapter_config.json} plus
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight} ({@code [r, in]}) and
 * {@code ...lora_B.weight} ({@code [out, r]}). Attaching freezes every base parameter: only A and B train, plus the
 * biases PEFT's {@code bias} option names ({@code all}: every bias of the model; {@code lora_only}: those of adapted
 * layers), which the adapter file then carries under PEFT's state-dict names: {@code base_model.model.<module>.bias},
 * or {@code base_model.model.<module>.base_layer.bias} for an adapted module, whose original layer PEFT wraps as
 * {@code base_layer}.
 */
public final class LoraAdapters {
    public static final String WEIGHTS = "adapter_model.safetensors";
    /** PEFT prefixes module names with the wrapper's own attribute path. */
    public static final String PEFT_PREFIX = "base_model.model.";
    /** PEFT's state-dict name of a DoRA magnitude vector, after the module name (its adapter name and ".weight" dropped). */
    public static final String MAGNITUDE = ".lora_magnitude_vector";

    private LoraAdapters() {}

    /** Loads the adapter in {@code dir} onto the model's target modules. */
    public static LoraConfig attach(CausalLm model, Path dir) {
        LoraConfig config = LoraConfig.read(dir);
        Path file = dir.resolve(WEIGHTS);
        try (SafetensorsFile weights = SafetensorsFile.open(file)) {
            int attached = 0;
            for (var e : model.linearsByName().entrySet()) {
                if (!config.targets(e.getKey())) continue;
                Parameter a = load(weights, file, e.getKey() + ".lora_A.weight", config.r(), e.getValue().in());
                Parameter b = load(weights, file, e.getKey() + ".lora_B.weight", e.getValue().out(), config.r());
                Parameter magnitude = null;
                if (config.useDora()) {
                    String key = PEFT_PREFIX + e.getKey() + MAGNITUDE;
                    if (!weights.has(key)) throw new JllmException(file + ": missing tensor '" + key + "' (use_dora is true)");
                    SafeTensor t = weights.tensor(key);
                    if (!Arrays.equals(t.shape(), new long[]{e.getValue().out()})) {
                        throw new JllmException(file + ": tensor '" + key + "' has shape " + Arrays.toString(t.shape()) + ", expected [" + e.getValue().out() + "]");
                    }
                    magnitude = new Parameter(e.getKey() + MAGNITUDE, new int[]{e.getValue().out()}, t.toFloatArray());
                    magnitude.setTrainable(true);
                    attached++;
                }
                e.getValue().attach(new LinearLayer.Lora(a, b, config.r(), config.scaling(), dropout(config, e.getKey()), magnitude));
                attached++;
            }
            if (attached == 0) throw new JllmException(dir + ": target_modules " + config.targetModules() + " match no layer of the model");
            List<Parameter> biases = trainedBiases(model, config);
            for (Parameter bias : biases) {
                String key = biasKey(model, bias);
                // files written by PEFT before its LoRA layers wrapped a base_layer name the bias plainly
                if (!weights.has(key)) key = PEFT_PREFIX + bias.name();
                // a bias the adapter does not carry keeps the base model's value, as PEFT's load_state_dict(strict=False) does
                if (!weights.has(key)) continue;
                SafeTensor t = weights.tensor(key);
                if (!Arrays.equals(t.shape(), new long[]{bias.size()})) {
                    throw new JllmException(file + ": tensor '" + key + "' has shape " + Arrays.toString(t.shape()) + ", expected [" + bias.size() + "]");
                }
                System.arraycopy(t.toFloatArray(), 0, bias.value(), 0, bias.size());
                attached++;
            }
            for (Parameter p : savedModuleParameters(model, config)) {
                String key = PEFT_PREFIX + p.name();
                if (!weights.has(key)) throw new JllmException(file + ": missing tensor '" + key + "' of modules_to_save " + config.modulesToSave());
                SafeTensor t = weights.tensor(key);
                long[] want = Arrays.stream(p.shape()).asLongStream().toArray();
                if (!Arrays.equals(t.shape(), want)) {
                    throw new JllmException(file + ": tensor '" + key + "' has shape " + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(want));
                }
                System.arraycopy(t.toFloatArray(), 0, p.value(), 0, p.size());
                attached++;
            }
            int expected = attached + (int) model.linearsByName().values().stream().filter(l -> l.lora() != null).count();
            if (weights.tensors().size() != expected) {
                throw new JllmException(file + ": " + weights.tensors().size() + " tensors, but the config (bias " + config.bias().pythonName()
                        + ") accounts for " + expected);
            }
        }
        freezeBase(model, config);
        return config;
    }

    private static Parameter load(SafetensorsFile weights, Path file, String name, int rows, int cols) {
        String key = PEFT_PREFIX + name;
        if (!weights.has(key)) throw new JllmException(file + ": missing tensor '" + key + "'");
        SafeTensor t = weights.tensor(key);
        if (!Arrays.equals(t.shape(), new long[]{rows, cols})) {
            throw new JllmException(file + ": tensor '" + key + "' has shape " + Arrays.toString(t.shape()) + ", expected [" + rows + ", " + cols + "]");
        }
        Parameter p = new Parameter(name, new int[]{rows, cols}, t.toFloatArray());
        p.setTrainable(true);
        return p;
    }

    /** PEFT's {@code init_lora_weights}. */
    public enum InitLoraWeights {
        /** {@code True}: A from kaiming_uniform(a=√5), i.e. U(±1/sqrt(in)); B zero, so the model starts unchanged. */
        DEFAULT,
        /** {@code "gaussian"}: A from N(0, (1/r)²); B zero. */
        GAUSSIAN,
        /** {@code False}: nn.Linear's own initialization for both, A U(±1/sqrt(in)) and B U(±1/sqrt(r)): the model changes at once. */
        NONE;

        /** {@code true}, {@code false} or {@code gaussian}, as in adapter_config.json. */
        public static InitLoraWeights parse(String value) {
            return switch (value.toLowerCase(java.util.Locale.ROOT)) {
                case "true" -> DEFAULT;
                case "gaussian" -> GAUSSIAN;
                case "false" -> NONE;
                default -> throw new JllmException("init_lora_weights '" + value + "': expected true, false or gaussian");
            };
        }
    }

    /** New adapters with PEFT's default initialization. */
    public static void attachNew(CausalLm model, LoraConfig config, long seed) {
        attachNew(model, config, seed, InitLoraWeights.DEFAULT);
    }

    /** New adapters on every target layer, initialized as PEFT's {@code init_lora_weights} says; the base is frozen. */
    public static void attachNew(CausalLm model, LoraConfig config, long seed, InitLoraWeights init) {
        Random random = new Random(seed);
        int attached = 0;
        for (var e : model.linearsByName().entrySet()) {
            if (!config.targets(e.getKey())) continue;
            LinearLayer lin = e.getValue();
            Parameter a = Parameter.zeros(e.getKey() + ".lora_A.weight", config.r(), lin.in());
            Parameter b = Parameter.zeros(e.getKey() + ".lora_B.weight", lin.out(), config.r());
            if (init == InitLoraWeights.GAUSSIAN) {
                for (int i = 0; i < a.size(); i++) a.value()[i] = (float) (random.nextGaussian() / config.r());
            } else {
                double bound = 1.0 / Math.sqrt(lin.in());
                for (int i = 0; i < a.size(); i++) a.value()[i] = (float) ((2 * random.nextDouble() - 1) * bound);
            }
            if (init == InitLoraWeights.NONE) {
                double bound = 1.0 / Math.sqrt(config.r());
                for (int i = 0; i < b.size(); i++) b.value()[i] = (float) ((2 * random.nextDouble() - 1) * bound);
            }
            a.setTrainable(true);
            b.setTrainable(true);
            LinearLayer.Lora lora = new LinearLayer.Lora(a, b, config.r(), config.scaling(), dropout(config, e.getKey()));
            if (config.useDora()) {
                // PEFT's DoraLinearLayer.update_layer: the magnitude starts at ‖W + s·B·A‖ per row (‖W‖ when B is zero)
                Parameter magnitude = Parameter.zeros(e.getKey() + MAGNITUDE, lin.out());
                lin.attach(lora);
                System.arraycopy(lin.doraWeightNorm(), 0, magnitude.value(), 0, lin.out());
                magnitude.setTrainable(true);
                lora = new LinearLayer.Lora(a, b, config.r(), config.scaling(), lora.dropout(), magnitude);
            }
            lin.attach(lora);
            attached++;
        }
        if (attached == 0) {
            throw new JllmException("LoRA target_modules " + config.targetModules()
                    + (config.layersToTransform().isEmpty() ? "" : " with layers_to_transform " + config.layersToTransform()) + " match no layer of the model");
        }
        freezeBase(model, config);
    }

    /**
     * The biases PEFT's {@code bias} trains: {@code all}, every parameter whose name holds "bias" (mark_only_lora_as_trainable);
     * {@code lora_only}, the biases of adapted layers. A Llama model has no biases, so there both leave only A and B.
     */
    static List<Parameter> trainedBiases(CausalLm model, LoraConfig config) {
        var out = new ArrayList<Parameter>();
        switch (config.bias()) {
            case NONE -> { }
            case ALL -> {
                // a bias inside a modules_to_save module travels with that module (PEFT saves its copy's parameters)
                for (Parameter p : model.parameters()) {
                    if (p.name().contains("bias") && !config.saves(p.name().substring(0, p.name().lastIndexOf('.')))) out.add(p);
                }
            }
            case LORA_ONLY -> {
                for (LinearLayer lin : model.linearsByName().values()) if (lin.lora() != null && lin.bias() != null) out.add(lin.bias());
            }
        }
        return out;
    }

    private static LinearLayer.Dropout dropout(LoraConfig config, String module) {
        return config.loraDropout() > 0 ? new LinearLayer.Dropout(config.loraDropout(), module.hashCode()) : null;
    }

    /** PEFT's train()/eval(): adapter dropout applies only while training. */
    public static void setTraining(CausalLm model, boolean training) {
        for (LinearLayer lin : model.linearsByName().values()) {
            if (lin.lora() != null && lin.lora().dropout() != null) lin.lora().dropout().setActive(training);
        }
    }

    /** The bias's key in PEFT's adapter file: an adapted module's own layer sits under {@code base_layer} in PEFT's model. */
    static String biasKey(CausalLm model, Parameter bias) {
        for (var e : model.linearsByName().entrySet()) {
            if (e.getValue().bias() == bias && e.getValue().lora() != null) return PEFT_PREFIX + e.getKey() + ".base_layer.bias";
        }
        return PEFT_PREFIX + bias.name();
    }

    private static void freezeBase(CausalLm model, LoraConfig config) {
        for (Parameter p : model.parameters()) p.setTrainable(false);
        for (Parameter p : trainedBiases(model, config)) p.setTrainable(true);
        for (Parameter p : savedModuleParameters(model, config)) p.setTrainable(true);
    }

    /**
     * The parameters of PEFT's {@code modules_to_save}. PEFT trains a copy and keeps the original for
     * disable_adapter; here the model's own parameters train (what merge_and_unload would give), so a module that
     * shares its weight (tied embeddings), holds a 4-bit weight or also carries a LoRA adapter is refused.
     */
    static List<Parameter> savedModuleParameters(CausalLm model, LoraConfig config) {
        var out = new ArrayList<Parameter>();
        if (config.modulesToSave().isEmpty()) return out;
        var found = new HashSet<String>();
        for (Parameter p : model.parameters()) {
            int dot = p.name().lastIndexOf('.');
            String module = p.name().substring(0, dot);
            if (!config.saves(module)) continue;
            found.add(module);
            out.add(p);
        }
        if (model.config().tieWordEmbeddings() && (config.saves("lm_head") || config.saves("model.embed_tokens"))) {
            throw new JllmException("modules_to_save " + config.modulesToSave() + ": the model ties lm_head to embed_tokens, "
                    + "and training the shared weight would change both (PEFT trains a separate copy); not supported");
        }
        if (found.isEmpty()) throw new JllmException("modules_to_save " + config.modulesToSave() + " match no module of the model");
        for (String module : found) {
            LinearLayer lin = model.linearsByName().get(module);
            if (lin != null && lin.lora() != null) throw new JllmException("modules_to_save '" + module + "' is also a LoRA target");
            if (lin != null && lin.frozen() != null) throw new JllmException("modules_to_save '" + module + "' holds a 4-bit weight; it cannot train");
        }
        return out;
    }

    /** Writes {@code adapter_config.json} and {@code adapter_model.safetensors} (float32) into {@code dir}. */
    public static void save(CausalLm model, LoraConfig config, Path dir, String baseModelName) {
        var tensors = new ArrayList<SafeTensor>();
        for (LinearLayer lin : model.linearsByName().values()) {
            if (lin.lora() == null) continue;
            for (Parameter p : lin.lora().parameters()) {
                long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
                tensors.add(SafeTensor.ofFloats(PEFT_PREFIX + p.name(), shape, p.value()));
            }
        }
        // PEFT saves a modules_to_save copy under the module's own name (the wrapper's modules_to_save.default is dropped)
        for (Parameter p : savedModuleParameters(model, config)) {
            long[] shape = Arrays.stream(p.shape()).asLongStream().toArray();
            tensors.add(SafeTensor.ofFloats(PEFT_PREFIX + p.name(), shape, p.value()));
        }
        for (Parameter bias : trainedBiases(model, config)) {
            tensors.add(SafeTensor.ofFloats(biasKey(model, bias), new long[]{bias.size()}, bias.value()));
        }
        try {
            Files.createDirectories(dir);
            SafetensorsWriter.write(dir.resolve(WEIGHTS), tensors, Map.of("format", "pt"));
            Path tmp = dir.resolve(LoraConfig.FILE + ".tmp");
            Files.writeString(tmp, config.toJson(baseModelName));
            Files.move(tmp, dir.resolve(LoraConfig.FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(dir + ": cannot write the adapter: " + e.getMessage(), e);
        }
    }

    /**
     * PEFT's merge: {@code W += scaling · B·A} for every adapted layer, then the adapters are removed. A DoRA layer
     * becomes {@code (m / ‖W + s·B·A‖) · (W + s·B·A)}, row by row.
     */
    public static void merge(CausalLm model) {
        for (LinearLayer lin : model.linearsByName().values()) {
            LinearLayer.Lora lora = lin.lora();
            if (lora == null) continue;
            float[] delta = new float[lin.out() * lin.in()];
            dev.jllm.core.kernel.Gemm.gemm(false, false, lin.out(), lin.in(), lora.rank(), lora.b().value(), 0, lora.a().value(), 0, delta, 0, false);
            float[] norm = lora.magnitude() != null ? lin.doraWeightNorm() : null;
            float[] w = lin.weight().value();
            for (int i = 0; i < w.length; i++) w[i] += lora.scaling() * delta[i];
            if (norm != null) {
                for (int o = 0; o < lin.out(); o++) {
                    float f = lora.magnitude().value()[o] / norm[o];
                    for (int c = 0; c < lin.in(); c++) w[o * lin.in() + c] *= f;
                }
            }
            // a 4-bit base holds its dequantized values in w: the merged layer computes in full precision from now on
            if (lin.frozen() != null) lin.freezeAs(null);
            lin.invalidateCast();
            lin.detach();
        }
    }
}
