package dev.jllm.text.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * transformers' {@code apply_chat_template} options.
 *
 * @param addGenerationPrompt       end with the header that starts an assistant turn
 * @param continueFinalMessage      leave the final message open so generation continues it (no end-of-turn)
 * @param tools                     tool JSON schemas (plain Java data / Jackson nodes), or null
 * @param documents                 documents for retrieval-augmented templates, or null
 * @param variables                 extra keyword variables for the template (e.g. {@code enable_thinking}); these
 *                                  override the tokenizer's special tokens of the same name
 * @param templateName              a named template to use (e.g. {@code tool_use}); null picks as transformers does
 * @param tokenize                  also return token ids (needs an encoder)
 * @param returnAssistantTokensMask also return, per token, 1 where a {@code {% generation %}} block wrote it
 */
public record ChatOptions(boolean addGenerationPrompt, boolean continueFinalMessage, List<?> tools, List<?> documents,
                          Map<String, ?> variables, String templateName, boolean tokenize,
                          boolean returnAssistantTokensMask) {

    public static final ChatOptions DEFAULT = new ChatOptions(false, false, null, null, Map.of(), null, false, false);

    public ChatOptions {
        variables = variables == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(variables));
    }

    public static ChatOptions defaults() {
        return DEFAULT;
    }

    public ChatOptions withAddGenerationPrompt(boolean b) {
        return new ChatOptions(b, continueFinalMessage, tools, documents, variables, templateName, tokenize, returnAssistantTokensMask);
    }

    public ChatOptions withContinueFinalMessage(boolean b) {
        return new ChatOptions(addGenerationPrompt, b, tools, documents, variables, templateName, tokenize, returnAssistantTokensMask);
    }

    public ChatOptions withTools(List<?> t) {
        return new ChatOptions(addGenerationPrompt, continueFinalMessage, t, documents, variables, templateName, tokenize, returnAssistantTokensMask);
    }

    public ChatOptions withDocuments(List<?> d) {
        return new ChatOptions(addGenerationPrompt, continueFinalMessage, tools, d, variables, templateName, tokenize, returnAssistantTokensMask);
    }

    public ChatOptions withVariables(Map<String, ?> v) {
        return new ChatOptions(addGenerationPrompt, continueFinalMessage, tools, documents, v, templateName, tokenize, returnAssistantTokensMask);
    }

    /** Adds one extra keyword variable. */
    public ChatOptions with(String name, Object value) {
        Map<String, Object> v = new LinkedHashMap<>(variables);
        v.put(name, value);
        return withVariables(v);
    }

    public ChatOptions withTemplateName(String name) {
        return new ChatOptions(addGenerationPrompt, continueFinalMessage, tools, documents, variables, name, tokenize, returnAssistantTokensMask);
    }

    public ChatOptions withTokenize(boolean b) {
        return new ChatOptions(addGenerationPrompt, continueFinalMessage, tools, documents, variables, templateName, b, returnAssistantTokensMask);
    }

    public ChatOptions withReturnAssistantTokensMask(boolean b) {
        return new ChatOptions(addGenerationPrompt, continueFinalMessage, tools, documents, variables, templateName, tokenize, b);
    }
}
