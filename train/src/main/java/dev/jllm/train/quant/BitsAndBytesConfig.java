package dev.jllm.train.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.ComputeDtype;
import dev.jllm.core.quant.bnb.QuantType;

import java.util.ArrayList;
import java.util.List;

/**
 * transformers' {@code BitsAndBytesConfig}: 4-bit loading ({@code load_in_4bit}, {@code bnb_4bit_quant_type},
 * {@code bnb_4bit_compute_dtype}, {@code bnb_4bit_use_double_quant}) or LLM.int8 loading ({@code load_in_8bit},
 * {@code llm_int8_threshold}, default 6.0; 0 turns the outlier decomposition off), and {@code llm_int8_skip_modules}
 * (modules kept in full precision: by default the output head, as transformers' {@code get_keys_to_not_convert}
 * decides; embeddings and norms are never linear layers). This engine's output head is not a linear layer, so it
 * always stays in full precision, and a skip list without it is refused rather than silently ignored. With
 * {@code load_in_8bit} the 4-bit fields keep transformers' defaults and mean nothing.
 */
public record BitsAndBytesConfig(boolean loadIn8bit, QuantType quantType, ComputeDtype computeDtype, boolean useDoubleQuant,
                                 List<String> skipModules, double llmInt8Threshold) {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final double DEFAULT_INT8_THRESHOLD = 6.0;

    public BitsAndBytesConfig {
        skipModules = skipModules == null ? List.of("lm_head") : List.copyOf(skipModules);
        if (!skipModules.contains("lm_head")) throw new JllmException("llm_int8_skip_modules " + skipModules + ": quantizing lm_head is not supported; keep lm_head in the list");
        if (!(llmInt8Threshold >= 0) || Double.isInfinite(llmInt8Threshold)) throw new JllmException("llm_int8_threshold " + llmInt8Threshold + ": expected a finite number >= 0 (0 = no outlier decomposition)");
    }

    /** A 4-bit configuration. */
    public BitsAndBytesConfig(QuantType quantType, ComputeDtype computeDtype, boolean useDoubleQuant, List<String> skipModules) {
        this(false, quantType, computeDtype, useDoubleQuant, skipModules, DEFAULT_INT8_THRESHOLD);
    }

    /** An LLM.int8 configuration ({@code load_in_8bit=True}). */
    public static BitsAndBytesConfig int8(double threshold, List<String> skipModules) {
        return new BitsAndBytesConfig(true, QuantType.FP4, ComputeDtype.FLOAT32_EXACT, false, skipModules, threshold);
    }

    /** The course's QLoRA setting: NF4, double quantization. */
    public static BitsAndBytesConfig nf4(boolean doubleQuant) {
        return new BitsAndBytesConfig(QuantType.NF4, ComputeDtype.FLOAT32_EXACT, doubleQuant, null);
    }

    /** What the weights are stored as, for messages: "int8 (LLM.int8, threshold 6.0)", "nf4". */
    public String describe() {
        if (!loadIn8bit) return quantType.bnbName();
        return "int8 (LLM.int8, " + (llmInt8Threshold > 0 ? "outlier threshold " + llmInt8Threshold : "no outlier decomposition") + ")";
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
        boolean eight = q.path("load_in_8bit").asBoolean(false), four = q.path("load_in_4bit").asBoolean(false);
        if (eight && four) throw new JllmException(source + ": quantization_config sets both load_in_4bit and load_in_8bit");
        if (!eight && !four) throw new JllmException(source + ": quantization_config has neither load_in_4bit nor load_in_8bit");
        List<String> skip = null;
        if (q.path("llm_int8_skip_modules").isArray()) {
            skip = new ArrayList<>();
            for (JsonNode n : q.path("llm_int8_skip_modules")) skip.add(n.asText());
        }
        if (eight) {
            if (q.path("llm_int8_has_fp16_weight").asBoolean(false)) {
                throw new JllmException(source + ": quantization_config.llm_int8_has_fp16_weight=true (int8 training of fp16 weights) is not supported; the 8-bit base is frozen");
            }
            JsonNode t = q.path("llm_int8_threshold");
            if (!t.isMissingNode() && !t.isNull() && !t.isNumber()) throw new JllmException(source + ": quantization_config.llm_int8_threshold must be a number, got " + t);
            try {
                return int8(t.isNumber() ? t.asDouble() : DEFAULT_INT8_THRESHOLD, skip);
            } catch (JllmException e) {
                throw new JllmException(source + ": quantization_config." + e.getMessage(), e);
            }
        }
        if (!q.path("bnb_4bit_quant_storage").asText("uint8").equals("uint8")) {
            throw new JllmException(source + ": bnb_4bit_quant_storage '" + q.path("bnb_4bit_quant_storage").asText() + "' is not supported (uint8 only)");
        }
        return new BitsAndBytesConfig(QuantType.parse(q.path("bnb_4bit_quant_type").asText("fp4")),
                ComputeDtype.parse(q.path("bnb_4bit_compute_dtype").asText("float32")),
                q.path("bnb_4bit_use_double_quant").asBoolean(false), skip);
    }

    /** The {@code quantization_config} object transformers writes. */
    public ObjectNode toJson() {
        ObjectNode q = JSON.createObjectNode();
        q.put("_load_in_4bit", !loadIn8bit);
        q.put("_load_in_8bit", loadIn8bit);
        q.put("bnb_4bit_compute_dtype", computeDtype.pythonName());
        q.put("bnb_4bit_quant_storage", "uint8");
        q.put("bnb_4bit_quant_type", quantType.bnbName());
        q.put("bnb_4bit_use_double_quant", useDoubleQuant);
        q.put("llm_int8_enable_fp32_cpu_offload", false);
        q.put("llm_int8_has_fp16_weight", false);
        if (skipModules.equals(List.of("lm_head"))) q.putNull("llm_int8_skip_modules");
        else skipModules.forEach(q.putArray("llm_int8_skip_modules")::add);
        q.put("llm_int8_threshold", llmInt8Threshold);
        q.put("load_in_4bit", !loadIn8bit);
        q.put("load_in_8bit", loadIn8bit);
        q.put("quant_method", "bitsandbytes");
        return q;
    }
}
