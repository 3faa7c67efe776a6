package dev.jllm.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A model's {@code generation_config.json}: the defaults transformers' {@code generate} starts from. Every field
 * is null when the file does not set it, so that a caller can tell "unset" from a value.
 */
public record GenerationConfig(
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId,
        Boolean doSample,
        Double temperature,
        Integer topK,
        Double topP,
        Double minP,
        Double repetitionPenalty,
        Integer maxLength,
        Integer maxNewTokens) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public GenerationConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }

    public static GenerationConfig empty() {
        return new GenerationConfig(null, List.of(), null, null, null, null, null, null, null, null, null);
    }

    /** Reads {@code generation_config.json} from a model folder (or the file itself); empty when there is none. */
    public static GenerationConfig read(Path path) {
        Path file = Files.isDirectory(path) ? path.resolve("generation_config.json") : path;
        if (!Files.isRegularFile(file)) return empty();
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new JllmException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        return fromJson(file.toString(), root);
    }

    public static GenerationConfig fromJson(String source, JsonNode root) {
        if (root == null || !root.isObject()) throw new JllmException(source + ": expected a JSON object");
        var c = new JsonFields(source, root);
        return new GenerationConfig(c.optIntOrNull("bos_token_id"), c.intList("eos_token_id"), c.optIntOrNull("pad_token_id"),
                c.optBoolOrNull("do_sample"), c.optDoubleOrNull("temperature"), c.optIntOrNullStrict("top_k"),
                c.optDoubleOrNull("top_p"), c.optDoubleOrNull("min_p"), c.optDoubleOrNull("repetition_penalty"),
                c.optIntOrNullStrict("max_length"), c.optIntOrNullStrict("max_new_tokens"));
    }
}
