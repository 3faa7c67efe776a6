package dev.jllm.train.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.quant.bnb.QuantType;

import java.util.List;

/**
 * transformers' {@code BitsAndBytesConfig} for 4-bit loading: {@code load_in_4bit}, {@code bnb_4bit_quant_type},
 * {@code bnb_4bit_compute_dtype}, {@code bnb_4bit_use_double_quant}, and {@code llm_int8_skip_modules} (modules kept
 * in full precision: by default the output head, as transformers' {@code get_keys_to_not_convert} decides; embeddings
 * and norms are never linear layers). This engine's output head is not a linear layer, so it always stays in full
 * precision, and a skip list without it is refused rather than silently ignored.
 */
public record BitsAndBytesConfig(QuantType quantType, ComputeDtype computeDtype, boolean useDoubleQuant, List<String> skipModules) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public BitsAndBytesConfig {
        skipModules = skipModules == null ? List.of("lm_head") : List.copyOf(skipModules);
        if (!skipModules.contains("lm_head")) throw new JllmException("llm_int8_skip_modules " + skipModules + ": quantizing lm_head is not supported; keep lm_head in the list");
    }

    /** The course's QLoRA setting: NF4, double quantization. */
    public static BitsAndBytesConfig nf4(boolean doubleQuant) {
        return new BitsAndBytesConfig(QuantType.NF4, ComputeDtype.FLOAT32_EXACT, doubleQuant, null);
    }

    /** Whether a linear layer (its module name) is quantized. */
    public boolean quantizes(String module) {
        for (String s : skipModules) if (module.equals(s) || module.endsWith("." + s)) return false;
        return true;
    }

    /** The {@code quantization_config} of a config.json, or null when it has none. */
    public static BitsAndBytesConfig fromModelConfig(String source, JsonNode root) {
        JsonNode q = root.path("quantization_config");
        if (q.isMissingNode() || q.isNull()) return null;
        String method = q.path("quant_method").asText("bitsandbytes");
        if (!method.equals("bitsandbytes")) throw new JllmException(source + ": quantization_config.quant_method '" + method + "' is not supported (bitsandbytes only)");
        if (q.path("load_in_8bit").asBoolean(false)) throw new JllmException(source + ": load_in_8bit (LLM.int8) checkpoints are not supported yet");
        if (!q.path("load_in_4bit").asBoolean(false)) throw new JllmException(source + ": quantization_config has neither load_in_4bit nor load_in_8bit");
        if (!q.path("bnb_4bit_quant_storage").asText("uint8").equals("uint8")) {
            throw new JllmException(source + ": bnb_4bit_quant_storage '" + q.path("bnb_4bit_quant_storage").asText() + "' is not supported (uint8 only)");
        }
        java.util.List<String> skip = null;
        if (q.path("llm_int8_skip_modules").isArray()) {
            skip = new java.util.ArrayList<>();
            for (JsonNode n : q.path("llm_int8_skip_modules")) skip.add(n.asText());
        }
        return new BitsAndBytesConfig(QuantType.parse(q.path("bnb_4bit_quant_type").asText("fp4")),
                ComputeDtype.parse(q.path("bnb_4bit_compute_dtype").asText("float32")),
                q.path("bnb_4bit_use_double_quant").asBoolean(false), skip);
    }

    /** The {@code quantization_config} object transformers writes. */
    public ObjectNode toJson() {
        ObjectNode q = JSON.createObjectNode();
        q.put("_load_in_4bit", true);
        q.put("_load_in_8bit", false);
        q.put("bnb_4bit_compute_dtype", computeDtype.pythonName());
        q.put("bnb_4bit_quant_storage", "uint8");
        q.put("bnb_4bit_quant_type", quantType.bnbName());
        q.put("bnb_4bit_use_double_quant", useDoubleQuant);
        q.put("llm_int8_enable_fp32_cpu_offload", false);
        q.put("llm_int8_has_fp16_weight", false);
        if (skipModules.equals(List.of("lm_head"))) q.putNull("llm_int8_skip_modules");
        else skipModules.forEach(q.putArray("llm_int8_skip_modules")::add);
        q.put("llm_int8_threshold", 6.0);
        q.put("load_in_4bit", true);
        q.put("load_in_8bit", false);
        q.put("quant_method", "bitsandbytes");
        return q;
    }
}
