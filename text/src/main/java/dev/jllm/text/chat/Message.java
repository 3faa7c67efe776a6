package dev.jllm.text.chat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A chat message as templates expect it. Templates read messages as dicts, so {@link #toMap()} gives the dict; only
 * the fields that are set appear (a template may test {@code 'tool_calls' in message}).
 *
 * @param role             {@code system}, {@code user}, {@code assistant}, {@code tool}, ...
 * @param content          a string, or a list of typed parts such as {@code {"type": "text", "text": "..."}}
 * @param toolCalls        the assistant's tool calls, or null
 * @param toolCallId       the call a {@code tool} message answers, or null
 * @param name             the tool or participant name, or null
 * @param reasoningContent the assistant's reasoning (thinking) text, or null
 */
public record Message(String role, Object content, List<?> toolCalls, String toolCallId, String name,
                      String reasoningContent) {

    public static Message of(String role, Object content) {
        return new Message(role, content, null, null, null, null);
    }

    public static Message system(String content) {
        return of("system", content);
    }

    public static Message user(String content) {
        return of("user", content);
    }

    public static Message assistant(String content) {
        return of("assistant", content);
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        if (content != null) m.put("content", content);
        if (toolCalls != null) m.put("tool_calls", toolCalls);
        if (toolCallId != null) m.put("tool_call_id", toolCallId);
        if (name != null) m.put("name", name);
        if (reasoningContent != null) m.put("reasoning_content", reasoningContent);
        return m;
    }

    public static List<Map<String, Object>> toMaps(List<Message> messages) {
        return messages.stream().map(Message::toMap).toList();
    }
}
