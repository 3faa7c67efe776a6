package dev.jllm.cli;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.text.chat.ChatOptions;
import dev.jllm.text.chat.ChatTemplate;
import dev.jllm.text.jinja.RenderSettings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code jllm template}: renders chat templates for a stream of conversations, one JSON object per line in and out.
 * The output line for each input is {@code {"rendered": "..."}} or {@code {"error": "..."}}, in input order.
 */
@Command(name = "template",
        mixinStandardHelpOptions = true,
        description = {
                "Render chat templates exactly like transformers' apply_chat_template.",
                "Reads JSON Lines from stdin, one object per line: {\"template_file\": optional path (resolved against "
                        + "--base-dir, overrides --template), \"messages\": [...], \"tools\": [...]|null, "
                        + "\"add_generation_prompt\": bool, \"bos_token\": \"...\", \"eos_token\": \"...\", "
                        + "\"extra_context\": {...}} (a null bos_token/eos_token leaves the variable undefined; "
                        + "extra_context.documents becomes 'documents'; an optional \"strftime_now\" overrides --now "
                        + "for that line; other keys are ignored).",
                "Writes one line per input: {\"rendered\": \"...\"} or {\"error\": \"...\"} (non-ASCII escaped as \\uXXXX)."
        })
public final class TemplateCommand implements Callable<Integer> {

    @Option(names = "--model", description = "Model whose template to use: a Hugging Face folder, a GGUF file or "
            + "tokenizer_config.json (its special tokens become variables).")
    Path model;

    @Option(names = "--template", description = "A Jinja template file to use.")
    Path template;

    @Option(names = "--base-dir", description = "Folder that a line's template_file is resolved against "
            + "(default: the current folder).")
    Path baseDir;

    @Option(names = "--now", description = "Fix the clock of strftime_now, e.g. 2025-01-15T10:30:00 "
            + "(default: the system clock).")
    String now;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Where lines are read from; tests replace it. */
    InputStream input = System.in;

    private final ObjectMapper json = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
    private final Map<Path, ChatTemplate> fileTemplates = new HashMap<>();

    @Override
    public Integer call() throws IOException {
        if (model != null && template != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give --model or --template, not both");
        }
        LocalDateTime fixedNow = now == null ? null : parseNow(now, "--now");
        RenderSettings settings = fixedNow == null ? RenderSettings.DEFAULT : RenderSettings.DEFAULT.withFixedClock(fixedNow);
        ChatTemplate base = model != null ? ChatTemplate.load(model) : template != null ? ChatTemplate.load(template) : null;
        Path root = baseDir != null ? baseDir : Path.of("");
        PrintWriter out = spec.commandLine().getOut();
        BufferedReader reader = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
        String line;
        int lineNumber = 0;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            if (line.isBlank()) continue;
            ObjectNode result = json.createObjectNode();
            try {
                result.put("rendered", renderLine(line, lineNumber, base, root, settings));
            } catch (JllmException | IllegalArgumentException e) {
                result.put("error", e.getMessage());
            }
            out.println(json.writeValueAsString(result));
            out.flush();
        }
        return 0;
    }

    private static LocalDateTime parseNow(String text, String where) {
        try {
            return LocalDateTime.parse(text);
        } catch (DateTimeParseException e) {
            throw new JllmException(where + ": expected a local date-time like 2025-01-15T10:30:00, got '" + text + "'");
        }
    }

    private String renderLine(String line, int lineNumber, ChatTemplate base, Path root, RenderSettings settings) {
        JsonNode request;
        try {
            request = json.readTree(line);
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            throw new JllmException("stdin line " + lineNumber + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (!request.isObject()) throw new JllmException("stdin line " + lineNumber + ": expected a JSON object");
        ChatTemplate chat = base;
        JsonNode file = request.path("template_file");
        if (file.isTextual()) {
            Path p = root.resolve(file.textValue());
            chat = fileTemplates.computeIfAbsent(p, ChatTemplate::load);
            // with --model, the file replaces the model's template but the model's special tokens still apply
            if (model != null) chat = chat.withSpecialTokens(base.specialTokens());
        } else if (!file.isMissingNode() && !file.isNull()) {
            throw new JllmException("stdin line " + lineNumber + ": field 'template_file': expected a string path");
        }
        if (chat == null) {
            throw new JllmException("stdin line " + lineNumber + ": no template: give --model, --template or a template_file field");
        }
        Map<String, Object> tokens = new LinkedHashMap<>();
        for (String key : List.of("bos_token", "eos_token")) {
            JsonNode t = request.get(key);
            if (t == null) continue;
            if (!t.isTextual() && !t.isNull()) {
                throw new JllmException("stdin line " + lineNumber + ": field '" + key + "': expected a string or null");
            }
            tokens.put(key, t.isNull() ? null : t.textValue());
        }
        chat = chat.withSpecialTokens(tokens);
        JsonNode clock = request.path("strftime_now");
        chat = chat.withSettings(clock.isTextual()
                ? settings.withFixedClock(parseNow(clock.textValue(), "stdin line " + lineNumber + ": field 'strftime_now'"))
                : settings);

        JsonNode messages = request.path("messages");
        if (!messages.isArray()) throw new JllmException("stdin line " + lineNumber + ": field 'messages': expected a list");
        JsonNode tools = request.path("tools");
        if (!tools.isMissingNode() && !tools.isNull() && !tools.isArray()) {
            throw new JllmException("stdin line " + lineNumber + ": field 'tools': expected a list or null");
        }
        JsonNode generation = request.path("add_generation_prompt");
        if (!generation.isMissingNode() && !generation.isBoolean()) {
            throw new JllmException("stdin line " + lineNumber + ": field 'add_generation_prompt': expected true or false");
        }
        JsonNode extra = request.path("extra_context");
        if (!extra.isMissingNode() && !extra.isNull() && !extra.isObject()) {
            throw new JllmException("stdin line " + lineNumber + ": field 'extra_context': expected an object");
        }
        Map<String, Object> variables = new LinkedHashMap<>();
        JsonNode documents = null;
        if (extra.isObject()) {
            for (Map.Entry<String, JsonNode> e : extra.properties()) {
                if (e.getKey().equals("documents")) documents = e.getValue();
                else variables.put(e.getKey(), e.getValue());
            }
        }
        ChatOptions options = ChatOptions.defaults()
                .withAddGenerationPrompt(generation.asBoolean(false))
                .withTools(list(tools))
                .withDocuments(list(documents))
                .withVariables(variables);
        return chat.render(list(messages), options);
    }

    private static List<JsonNode> list(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return null;
        List<JsonNode> out = new ArrayList<>(n.size());
        n.forEach(out::add);
        return out;
    }
}
