package dev.jllm.train.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The subset of PEFT's {@code LoraConfig} this engine implements: rank, alpha, rsLoRA scaling, target modules
 * (a list of module-name suffixes, or one regular expression matched against the full module name, as PEFT does),
 * {@code layers_to_transform} / {@code layers_pattern} (only those layer indices get adapters),
 * {@code lora_dropout} on the adapter input while training, {@code bias} (none, all or lora_only) and
 * {@code modules_to_save} (whole modules, e.g. {@code lm_head}, that train fully and travel in the adapter file), and
 * {@code use_dora} (weight-decomposed LoRA: a trainable magnitude per output row rescales the adapted weight).
 */
public record LoraConfig(int r, double loraAlpha, boolean useRslora, List<String> targetModules, String targetRegex, double loraDropout,
                         List<Integer> layersToTransform, List<String> layersPattern, Bias bias, List<String> modulesToSave, boolean useDora) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String FILE = "adapter_config.json";
    /** PEFT's default layer-index pattern: the number after the last-but-one dotted name, e.g. {@code layers.3.}. */
    private static final Pattern ANY_LAYER_INDEX = Pattern.compile(".*\\.[^.]*\\.(\\d+)\\.");

    /** PEFT's {@code bias}: which biases train alongside the adapters (and so are saved in the adapter file). */
    public enum Bias {
        NONE("none"), ALL("all"), LORA_ONLY("lora_only");

        private final String pythonName;

        Bias(String pythonName) {
            this.pythonName = pythonName;
        }

        public String pythonName() {
            return pythonName;
        }

        public static Bias parse(String value) {
            for (Bias b : values()) if (b.pythonName.equals(value)) return b;
            throw new JllmException("bias '" + value + "': expected none, all or lora_only");
        }
    }

    public LoraConfig {
        if (r <= 0) throw new JllmException("LoRA rank r must be positive, got " + r);
        targetModules = targetModules == null ? List.of() : List.copyOf(targetModules);
        layersToTransform = layersToTransform == null ? List.of() : List.copyOf(layersToTransform);
        layersPattern = layersPattern == null ? List.of() : List.copyOf(layersPattern);
        if (bias == null) bias = Bias.NONE;
        modulesToSave = modulesToSave == null ? List.of() : List.copyOf(modulesToSave);
        if (targetModules.isEmpty() && targetRegex == null) throw new JllmException("LoRA config names no target_modules");
        if (!(loraDropout >= 0 && loraDropout < 1)) throw new JllmException("lora_dropout must be in [0, 1), got " + loraDropout);
        // PEFT's LoraConfig.__post_init__ refuses both combinations with a ValueError
        if (targetRegex != null && !layersToTransform.isEmpty()) throw new JllmException("layers_to_transform cannot be used when target_modules is a regular expression");
        if (!layersPattern.isEmpty() && layersToTransform.isEmpty()) throw new JllmException("layers_pattern " + layersPattern + " needs layers_to_transform too");
        for (int i : layersToTransform) if (i < 0) throw new JllmException("layers_to_transform: layer index " + i + " is negative");
    }

    /** Plain LoRA (no DoRA). */
    public LoraConfig(int r, double loraAlpha, boolean useRslora, List<String> targetModules, String targetRegex, double loraDropout,
                      List<Integer> layersToTransform, List<String> layersPattern, Bias bias, List<String> modulesToSave) {
        this(r, loraAlpha, useRslora, targetModules, targetRegex, loraDropout, layersToTransform, layersPattern, bias, modulesToSave, false);
    }

    /** The same configuration with PEFT's {@code use_dora} set. */
    public LoraConfig withUseDora(boolean dora) {
        return new LoraConfig(r, loraAlpha, useRslora, targetModules, targetRegex, loraDropout, layersToTransform, layersPattern, bias, modulesToSave, dora);
    }

    /** No modules_to_save. */
    public LoraConfig(int r, double loraAlpha, boolean useRslora, List<String> targetModules, String targetRegex, double loraDropout,
                      List<Integer> layersToTransform, List<String> layersPattern, Bias bias) {
        this(r, loraAlpha, useRslora, targetModules, targetRegex, loraDropout, layersToTransform, layersPattern, bias, List.of());
    }

    /** Whether {@code moduleName} is one of modules_to_save: the name itself or its last dotted parts, as PEFT matches it. */
    public boolean saves(String moduleName) {
        for (String m : modulesToSave) if (moduleName.equals(m) || moduleName.endsWith("." + m)) return true;
        return false;
    }

    /** Every layer, no biases trained. */
    public LoraConfig(int r, double loraAlpha, boolean useRslora, List<String> targetModules, String targetRegex, double loraDropout) {
        this(r, loraAlpha, useRslora, targetModules, targetRegex, loraDropout, List.of(), List.of(), Bias.NONE);
    }

    /** Without dropout. */
    public LoraConfig(int r, double loraAlpha, boolean useRslora, List<String> targetModules, String targetRegex) {
        this(r, loraAlpha, useRslora, targetModules, targetRegex, 0.0);
    }

    /** PEFT's scaling: {@code alpha / r}, or {@code alpha / sqrt(r)} with rsLoRA. */
    public double scaling() {
        return useRslora ? loraAlpha / Math.sqrt(r) : loraAlpha / r;
    }

    /** Whether the module {@code model.layers.0.self_attn.q_proj} gets an adapter. */
    public boolean targets(String moduleName) {
        if (targetRegex != null) return Pattern.compile(targetRegex).matcher(moduleName).matches();
        // as in PEFT's check_target_module_exists, a full module name in the list is taken whatever its layer
        if (targetModules.contains(moduleName)) return true;
        boolean suffix = false;
        for (String t : targetModules) if (moduleName.endsWith("." + t)) suffix = true;
        if (!suffix || layersToTransform.isEmpty()) return suffix;
        Integer layer = layerIndex(moduleName);
        return layer != null && layersToTransform.contains(layer);
    }

    /** PEFT's layer index: re.match of {@code .*\.<pattern>\.(\d+)\.} for each layers_pattern, or of the default pattern. */
    private Integer layerIndex(String moduleName) {
        List<Pattern> patterns = layersPattern.isEmpty() ? List.of(ANY_LAYER_INDEX)
                : layersPattern.stream().map(p -> Pattern.compile(".*\\." + p + "\\.(\\d+)\\.")).toList();
        for (Pattern p : patterns) {
            var m = p.matcher(moduleName);
            if (m.lookingAt()) return Integer.parseInt(m.group(1));
        }
        return null;
    }

    public static LoraConfig read(Path adapterDir) {
        Path file = adapterDir.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read the adapter config: " + e.getMessage(), e);
        }
        if (!root.path("peft_type").asText("LORA").equals("LORA")) {
            throw new JllmException(file + ": peft_type '" + root.path("peft_type").asText() + "' is not LORA");
        }
        Bias bias;
        try {
            bias = Bias.parse(root.path("bias").asText("none"));
        } catch (JllmException e) {
            throw new JllmException(file + ": " + e.getMessage(), e);
        }
        if (root.path("fan_in_fan_out").asBoolean(false)) throw new JllmException(file + ": fan_in_fan_out is not supported");
        if (!root.path("r").isInt()) throw new JllmException(file + ": field 'r' must be an integer");
        JsonNode targets = root.path("target_modules");
        List<String> list = new ArrayList<>();
        String regex = null;
        if (targets.isTextual()) regex = targets.asText();
        else if (targets.isArray()) targets.forEach(t -> list.add(t.asText()));
        else throw new JllmException(file + ": field 'target_modules' must be a list or a string");
        double dropout = root.path("lora_dropout").asDouble(0);
        if (!(dropout >= 0 && dropout < 1)) throw new JllmException(file + ": lora_dropout must be in [0, 1), got " + root.path("lora_dropout"));
        List<Integer> layers = new ArrayList<>();
        JsonNode ltt = root.path("layers_to_transform");
        if (ltt.isInt()) layers.add(ltt.asInt());
        else if (ltt.isArray()) ltt.forEach(n -> {
            if (!n.isInt()) throw new JllmException(file + ": field 'layers_to_transform' must hold integers, got " + n);
            layers.add(n.asInt());
        });
        else if (!ltt.isMissingNode() && !ltt.isNull()) throw new JllmException(file + ": field 'layers_to_transform' must be an integer or a list of integers");
        List<String> patterns = new ArrayList<>();
        JsonNode lp = root.path("layers_pattern");
        if (lp.isTextual()) patterns.add(lp.asText());
        else if (lp.isArray()) lp.forEach(n -> patterns.add(n.asText()));
        else if (!lp.isMissingNode() && !lp.isNull()) throw new JllmException(file + ": field 'layers_pattern' must be a string or a list of strings");
        List<String> saved = new ArrayList<>();
        JsonNode mts = root.path("modules_to_save");
        if (mts.isArray()) mts.forEach(n -> saved.add(n.asText()));
        else if (!mts.isMissingNode() && !mts.isNull()) throw new JllmException(file + ": field 'modules_to_save' must be a list of module names");
        try {
            return new LoraConfig(root.path("r").asInt(), root.path("lora_alpha").asDouble(8), root.path("use_rslora").asBoolean(false), list, regex, dropout,
                    layers, patterns, bias, saved, root.path("use_dora").asBoolean(false));
        } catch (JllmException e) {
            throw new JllmException(file + ": " + e.getMessage(), e);
        }
    }

    /** An {@code adapter_config.json} PEFT loads. */
    public String toJson(String baseModelName) {
        ObjectNode n = JSON.createObjectNode();
        n.put("peft_type", "LORA");
        n.put("task_type", "CAUSAL_LM");
        n.put("base_model_name_or_path", baseModelName);
        n.put("r", r);
        n.put("lora_alpha", loraAlpha);
        n.put("lora_dropout", loraDropout);
        n.put("use_rslora", useRslora);
        n.put("use_dora", useDora);
        n.put("bias", bias.pythonName());
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        if (targetRegex != null) n.put("target_modules", targetRegex);
        else targetModules.forEach(n.putArray("target_modules")::add);
        // PEFT writes every field, null when unset
        if (layersToTransform.isEmpty()) n.putNull("layers_to_transform");
        else layersToTransform.forEach(n.putArray("layers_to_transform")::add);
        if (layersPattern.isEmpty()) n.putNull("layers_pattern");
        else if (layersPattern.size() == 1) n.put("layers_pattern", layersPattern.getFirst());
        else layersPattern.forEach(n.putArray("layers_pattern")::add);
        if (modulesToSave.isEmpty()) n.putNull("modules_to_save");
        else modulesToSave.forEach(n.putArray("modules_to_save")::add);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (IOException e) {
            throw new JllmException("cannot serialize the adapter config: " + e.getMessage(), e);
        }
    }
}
