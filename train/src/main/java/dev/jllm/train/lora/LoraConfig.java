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
 * The subset of PEFT's {@code LoraConfig} this engine implements: rank, alpha, rsLoRA scaling and target modules
 * (a list of module-name suffixes, or one regular expression matched against the full module name, as PEFT does).
 * and {@code lora_dropout} on the adapter input while training. Bias must be "none"; other values are rejected rather
 * than silently ignored.
 */
public record LoraConfig(int r, double loraAlpha, boolean useRslora, List<String> targetModules, String targetRegex, double loraDropout) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String FILE = "adapter_config.json";

    public LoraConfig {
        if (r <= 0) throw new JllmException("LoRA rank r must be positive, got " + r);
        targetModules = targetModules == null ? List.of() : List.copyOf(targetModules);
        if (targetModules.isEmpty() && targetRegex == null) throw new JllmException("LoRA config names no target_modules");
        if (!(loraDropout >= 0 && loraDropout < 1)) throw new JllmException("lora_dropout must be in [0, 1), got " + loraDropout);
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
        for (String t : targetModules) if (moduleName.equals(t) || moduleName.endsWith("." + t)) return true;
        return false;
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
        if (!root.path("bias").asText("none").equals("none")) throw new JllmException(file + ": bias must be \"none\"");
        if (root.path("use_dora").asBoolean(false)) throw new JllmException(file + ": DoRA is not supported");
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
        return new LoraConfig(root.path("r").asInt(), root.path("lora_alpha").asDouble(8), root.path("use_rslora").asBoolean(false), list, regex, dropout);
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
        n.put("use_dora", false);
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        if (targetRegex != null) n.put("target_modules", targetRegex);
        else targetModules.forEach(n.putArray("target_modules")::add);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (IOException e) {
            throw new JllmException("cannot serialize the adapter config: " + e.getMessage(), e);
        }
    }
}
