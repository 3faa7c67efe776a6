package dev.jllm.text.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import dev.jllm.text.jinja.RenderSettings;
import dev.jllm.text.jinja.TemplateException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders every case of {@code chat_templates/cases.jsonl} (expected outputs from Python Jinja2 run the way
 * transformers runs it) and of {@code tokenizers/stories260K/chat_template_cases.json}.
 */
@Tag("conformance")
class ChatTemplateConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One fixture case rendered through {@link ChatTemplate}; shared with the CLI test's expectations. */
    static String render(Path dir, JsonNode c, Map<String, String> templateCache) throws Exception {
        String file = c.get("template_file").textValue();
        String source = templateCache.computeIfAbsent(file, f -> {
            try {
                return Files.readString(dir.resolve(f));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Map<String, Object> tokens = new HashMap<>();
        if (c.path("bos_token").isTextual()) tokens.put("bos_token", c.get("bos_token").textValue());
        if (c.path("eos_token").isTextual()) tokens.put("eos_token", c.get("eos_token").textValue());
        LocalDateTime now = LocalDateTime.parse(c.path("strftime_now").asText("2025-01-15T10:30:00"));
        ChatTemplate template = ChatTemplate.of(source, c.get("template").textValue())
                .withSpecialTokens(tokens)
                .withSettings(RenderSettings.DEFAULT.withFixedClock(now));
        Map<String, Object> extra = new LinkedHashMap<>();
        JsonNode documents = null;
        for (var e : c.path("extra_context").properties()) {
            if (e.getKey().equals("documents")) documents = e.getValue();
            else extra.put(e.getKey(), e.getValue());
        }
        ChatOptions options = ChatOptions.defaults()
                .withAddGenerationPrompt(c.path("add_generation_prompt").asBoolean(false))
                .withTools(list(c.get("tools")))
                .withDocuments(list(documents))
                .withVariables(extra);
        return template.render(list(c.get("messages")), options);
    }

    private static List<JsonNode> list(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return null;
        List<JsonNode> out = new ArrayList<>();
        n.forEach(out::add);
        return out;
    }

    static String describeDifference(String expected, String actual) {
        int at = Conformance.firstDifference(expected, actual);
        return "first difference at char " + at + ": expected " + excerpt(expected, at) + ", got " + excerpt(actual, at)
                + " (lengths " + expected.length() + " vs " + actual.length() + ")";
    }

    private static String excerpt(String s, int at) {
        int from = Math.max(0, at - 20), to = Math.min(s.length(), at + 30);
        return JSON.valueToTree(s.substring(Math.min(from, s.length()), to)).toString();
    }

    @Test
    void everyCaseRendersLikePythonJinja() throws Exception {
        Path dir = Fixtures.resolve("chat_templates");
        Conformance area = new Conformance("chat_templates");
        Map<String, String> cache = new HashMap<>();
        long start = System.nanoTime();
        for (String line : Fixtures.jsonLines(dir.resolve("cases.jsonl"))) {
            JsonNode c = JSON.readTree(line);
            String name = c.get("template").textValue() + " / " + c.get("case").textValue();
            area.check(name, () -> {
                JsonNode expectedError = c.get("expected_error");
                if (expectedError != null) {
                    try {
                        String out = render(dir, c, cache);
                        throw new AssertionError("expected " + expectedError.get("type").asText() + " but rendered "
                                + JSON.valueToTree(out.length() > 80 ? out.substring(0, 80) + "..." : out));
                    } catch (TemplateException e) {
                        if (expectedError.path("raised_by_template").asBoolean(false)) {
                            String message = expectedError.get("message").textValue();
                            if (e.kind() != TemplateException.Kind.TemplateError || !e.detail().equals(message)) {
                                throw new AssertionError("expected raise_exception(" + message + "), got " + e.getMessage());
                            }
                        }
                    }
                    return;
                }
                String expected = c.get("expected").textValue();
                String actual;
                try {
                    actual = render(dir, c, cache);
                } catch (TemplateException e) {
                    throw new AssertionError("render failed: " + e.getMessage());
                }
                if (!expected.equals(actual)) throw new AssertionError(describeDifference(expected, actual));
            });
        }
        System.out.printf("chat_templates: rendered in %.0f ms%n", (System.nanoTime() - start) / 1e6);
        area.finish();
    }

    @Test
    void stories260kTemplateCases() throws Exception {
        Path modelDir = Fixtures.resolve("models", "stories260K-hf");
        Path casesFile = Fixtures.resolve("tokenizers", "stories260K", "chat_template_cases.json");
        JsonNode root = JSON.readTree(casesFile.toFile());
        ChatTemplate template = ChatTemplate.load(modelDir);
        Conformance area = new Conformance("chat_templates_stories260K");
        int k = 0;
        for (JsonNode c : root.get("cases")) {
            area.check("case " + k++, () -> {
                String actual = template.render(list(c.get("messages")),
                        ChatOptions.defaults().withAddGenerationPrompt(c.get("add_generation_prompt").asBoolean()));
                String expected = c.get("text").textValue();
                if (!expected.equals(actual)) throw new AssertionError(describeDifference(expected, actual));
            });
        }
        area.finish();
    }
}
