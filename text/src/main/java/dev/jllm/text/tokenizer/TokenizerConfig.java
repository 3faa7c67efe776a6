package dev.jllm.text.tokenizer;

import java.util.Map;

/**
 * What tokenizer_config.json (and special_tokens_map.json) say beyond tokenizer.json.
 *
 * @param chatTemplate       the {@code chat_template} string, or the "default" entry of a list of named templates
 * @param namedChatTemplates every named template when {@code chat_template} is a list (name to source), else empty
 * @param modelMaxLength     {@code model_max_length}, saturated to {@link Long#MAX_VALUE} for transformers' "no limit" 1e30
 */
public record TokenizerConfig(String bosToken, String eosToken, String padToken, String unkToken, Boolean addBosToken,
                              Boolean addEosToken, long modelMaxLength, String paddingSide, String truncationSide,
                              boolean cleanUpTokenizationSpaces, String chatTemplate, Map<String, String> namedChatTemplates) {

    public static TokenizerConfig empty() {
        return new TokenizerConfig(null, null, null, null, null, null, Long.MAX_VALUE, "right", "right", false, null, Map.of());
    }
}
