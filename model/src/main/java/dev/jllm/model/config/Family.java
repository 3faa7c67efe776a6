package dev.jllm.model.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * The decoder families the one model definition covers. A family only selects config defaults and tensor names;
 * the forward pass is the same code for all of them.
 */
public enum Family {
    LLAMA("LlamaForCausalLM", "llama"),
    MISTRAL("MistralForCausalLM", "mistral"),
    MIXTRAL("MixtralForCausalLM", "mixtral"),
    QWEN2("Qwen2ForCausalLM", "qwen2"),
    QWEN3("Qwen3ForCausalLM", "qwen3"),
    QWEN3_MOE("Qwen3MoeForCausalLM", "qwen3_moe");

    private final String architecture;
    private final String modelType;

    Family(String architecture, String modelType) {
        this.architecture = architecture;
        this.modelType = modelType;
    }

    /** The {@code architectures[0]} value transformers writes. */
    public String architecture() {
        return architecture;
    }

    /** The {@code model_type} value transformers writes. */
    public String modelType() {
        return modelType;
    }

    public static Optional<Family> byArchitecture(String name) {
        return Arrays.stream(values()).filter(f -> f.architecture.equals(name)).findFirst();
    }

    public static Optional<Family> byModelType(String name) {
        return Arrays.stream(values()).filter(f -> f.modelType.equals(name)).findFirst();
    }

    /** GGUF {@code general.architecture} names (llama.cpp spells Qwen3-MoE without the underscore). */
    public static Optional<Family> byGgufArchitecture(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "llama" -> Optional.of(LLAMA);
            case "mistral" -> Optional.of(MISTRAL);
            case "qwen2" -> Optional.of(QWEN2);
            case "qwen3" -> Optional.of(QWEN3);
            case "qwen3moe" -> Optional.of(QWEN3_MOE);
            default -> Optional.empty();
        };
    }

    public static String supportedArchitectures() {
        return String.join(", ", Arrays.stream(values()).map(Family::architecture).toList());
    }
}
