package dev.jllm.text.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufFile;
import dev.jllm.text.jinja.Py;
import dev.jllm.text.jinja.RenderSettings;
import dev.jllm.text.jinja.Rendering;
import dev.jllm.text.jinja.Template;
import dev.jllm.text.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A model's chat template: formats a conversation exactly as transformers' {@code apply_chat_template} does.
 *
 * <pre>{@code
 * ChatTemplate t = ChatTemplate.load(Path.of("models/Qwen3-0.6B"));
 * String prompt = t.applyChatTemplate(Message.toMaps(List.of(Message.user("Hi"))),
 *         ChatOptions.defaults().withAddGenerationPrompt(true).with("enable_thinking", false)).text();
 * }</pre>
 *
 * Source resolution follows transformers: a folder's {@code chat_template.jinja} (plus named templates in
 * {@code additional_chat_templates/}), else {@code tokenizer_config.json}'s {@code chat_template} (a string, or a
 * list of named templates), else {@code chat_template.json}; a GGUF file's {@code tokenizer.chat_template}.
 * The tokenizer's special tokens ({@code bos_token}, {@code eos_token}, ...) become template variables.
 */
public final class ChatTemplate {
    public static final String DEFAULT_NAME = "default";
    public static final String TOOL_USE_NAME = "tool_use";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> SPECIAL_TOKEN_KEYS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");

    private final String origin;
    private final Map<String, String> sources;
    private final Map<String, Object> specialTokens;
    private final ChatEncoder encoder;
    private final RenderSettings settings;
    private final Map<String, Template> compiled;

    private ChatTemplate(String origin, Map<String, String> sources, Map<String, Object> specialTokens,
                         ChatEncoder encoder, RenderSettings settings, Map<String, Template> compiled) {
        this.origin = origin;
        this.sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        this.specialTokens = Collections.unmodifiableMap(new LinkedHashMap<>(specialTokens));
        this.encoder = encoder;
        this.settings = settings;
        this.compiled = compiled;
    }

    /** A single template from its source text; {@code origin} names it in error messages. */
    public static ChatTemplate of(String source, String origin) {
        return new ChatTemplate(origin, Map.of(DEFAULT_NAME, source), Map.of(), null, RenderSettings.DEFAULT,
                new ConcurrentHashMap<>());
    }

    /** Named templates (transformers' list form), e.g. {@code default} and {@code tool_use}. */
    public static ChatTemplate ofNamed(Map<String, String> named, String origin) {
        if (named.isEmpty()) throw new JllmException(origin + ": no chat template");
        return new ChatTemplate(origin, named, Map.of(), null, RenderSettings.DEFAULT, new ConcurrentHashMap<>());
    }

    /**
     * The chat template of a model: a Hugging Face folder, a GGUF file, a {@code tokenizer_config.json}, or a
     * {@code .jinja} file. Fails with a {@link JllmException} naming what was searched when the model has none.
     */
    public static ChatTemplate load(Path path) {
        if (Files.isDirectory(path)) return loadFolder(path);
        if (!Files.isRegularFile(path)) throw new JllmException(path + ": no such file or folder");
        String file = path.getFileName().toString();
        if (file.endsWith(".jinja") || file.endsWith(".j2")) {
            return new ChatTemplate(path.toString(), Map.of(DEFAULT_NAME, read(path)), Map.of(), null,
                    RenderSettings.DEFAULT, new ConcurrentHashMap<>());
        }
        if (file.endsWith(".json")) return fromTokenizerConfig(path, null);
        if (isGguf(path)) return loadGguf(path);
        throw new JllmException(path + ": expected a model folder, a GGUF file, tokenizer_config.json or a .jinja template");
    }

    /**
     * The chat template of a model together with its tokenizer ({@link Tokenizer#load}), so that
     * {@code tokenize=true} and the assistant tokens mask work.
     */
    public static ChatTemplate loadWithTokenizer(Path path) {
        return load(path).withEncoder(ChatEncoder.of(Tokenizer.load(path)));
    }

    private static ChatTemplate loadFolder(Path dir) {
        Path config = dir.resolve("tokenizer_config.json");
        Path jinja = dir.resolve("chat_template.jinja");
        Map<String, String> named = new LinkedHashMap<>();
        if (Files.isRegularFile(jinja)) named.put(DEFAULT_NAME, read(jinja));
        Path additional = dir.resolve("additional_chat_templates");
        if (Files.isDirectory(additional)) {
            try (Stream<Path> files = Files.list(additional)) {
                for (Path p : files.filter(p -> p.getFileName().toString().endsWith(".jinja")).sorted().toList()) {
                    String n = p.getFileName().toString();
                    named.put(n.substring(0, n.length() - ".jinja".length()), read(p));
                }
            } catch (IOException e) {
                throw new JllmException(additional + ": cannot list: " + e.getMessage(), e);
            }
        }
        if (Files.isRegularFile(config)) return fromTokenizerConfig(config, named.isEmpty() ? null : named);
        if (named.isEmpty()) {
            Path processor = dir.resolve("chat_template.json");
            if (Files.isRegularFile(processor)) {
                JsonNode t = readJson(processor).path("chat_template");
                if (t.isTextual()) named.put(DEFAULT_NAME, t.textValue());
            }
        }
        if (named.isEmpty()) {
            List<Path> ggufs;
            try (Stream<Path> files = Files.list(dir)) {
                ggufs = files.filter(p -> p.getFileName().toString().endsWith(".gguf")).sorted().toList();
            } catch (IOException e) {
                throw new JllmException(dir + ": cannot list: " + e.getMessage(), e);
            }
            if (ggufs.size() == 1) return loadGguf(ggufs.getFirst());
            throw new JllmException(dir + ": the model has no chat template (looked for chat_template.jinja, "
                    + "tokenizer_config.json 'chat_template', chat_template.json and a single .gguf file)");
        }
        return new ChatTemplate(dir.toString(), named, Map.of(), null, RenderSettings.DEFAULT, new ConcurrentHashMap<>());
    }

    /** {@code overrides}: templates from chat_template.jinja, which take precedence over the config's. */
    private static ChatTemplate fromTokenizerConfig(Path config, Map<String, String> overrides) {
        JsonNode root = readJson(config);
        Map<String, String> named = new LinkedHashMap<>();
        JsonNode t = root.path("chat_template");
        if (t.isTextual()) {
            named.put(DEFAULT_NAME, t.textValue());
        } else if (t.isArray()) {
            for (int i = 0; i < t.size(); i++) {
                JsonNode entry = t.get(i);
                if (!entry.path("name").isTextual() || !entry.path("template").isTextual()) {
                    throw new JllmException(config + ": field 'chat_template[" + i + "]': expected {\"name\": string, \"template\": string}");
                }
                named.put(entry.get("name").textValue(), entry.get("template").textValue());
            }
        } else if (!t.isMissingNode() && !t.isNull()) {
            throw new JllmException(config + ": field 'chat_template': expected a string or a list of {name, template}");
        }
        if (overrides != null) named.putAll(overrides);
        if (named.isEmpty()) {
            throw new JllmException(config + ": the model has no chat template (no 'chat_template' field and no "
                    + "chat_template.jinja next to it)");
        }
        Map<String, Object> tokens = new LinkedHashMap<>();
        // special_tokens_map.json fills in what tokenizer_config.json leaves out, as in transformers
        Path mapFile = config.resolveSibling("special_tokens_map.json");
        JsonNode map = Files.isRegularFile(mapFile) ? readJson(mapFile) : JSON.createObjectNode();
        for (String key : SPECIAL_TOKEN_KEYS) {
            String token = tokenContent(root.path(key));
            if (token == null && !root.has(key)) token = tokenContent(map.path(key));
            if (token != null) tokens.put(key, token);
        }
        JsonNode extra = root.has("additional_special_tokens") ? root.path("additional_special_tokens")
                : map.path("additional_special_tokens");
        if (extra.isArray()) {
            List<String> list = new ArrayList<>();
            for (JsonNode n : extra) {
                String token = tokenContent(n);
                if (token != null) list.add(token);
            }
            tokens.put("additional_special_tokens", list);
        }
        return new ChatTemplate(config.toString(), named, tokens, null, RenderSettings.DEFAULT, new ConcurrentHashMap<>());
    }

    /** A special token in tokenizer_config.json: a string or a serialized AddedToken {@code {"content": ...}}. */
    private static String tokenContent(JsonNode n) {
        if (n.isTextual()) return n.textValue();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").textValue();
        return null;
    }

    private static ChatTemplate loadGguf(Path path) {
        try (GgufFile gguf = GgufFile.open(path)) {
            Map<String, String> named = new LinkedHashMap<>();
            gguf.optString("tokenizer.chat_template").ifPresent(s -> named.put(DEFAULT_NAME, s));
            if (gguf.has("tokenizer.chat_templates")) {
                for (String n : gguf.strings("tokenizer.chat_templates")) {
                    gguf.optString("tokenizer.chat_template." + n).ifPresent(s -> named.put(n, s));
                }
            }
            if (named.isEmpty()) {
                throw new JllmException(path + ": the model has no chat template (no GGUF metadata key 'tokenizer.chat_template')");
            }
            Map<String, Object> tokens = new LinkedHashMap<>();
            if (gguf.has("tokenizer.ggml.tokens")) {
                String[] vocab = gguf.strings("tokenizer.ggml.tokens");
                ggufToken(gguf, vocab, "tokenizer.ggml.bos_token_id").ifPresent(s -> tokens.put("bos_token", s));
                ggufToken(gguf, vocab, "tokenizer.ggml.eos_token_id").ifPresent(s -> tokens.put("eos_token", s));
                ggufToken(gguf, vocab, "tokenizer.ggml.unknown_token_id").ifPresent(s -> tokens.put("unk_token", s));
                ggufToken(gguf, vocab, "tokenizer.ggml.padding_token_id").ifPresent(s -> tokens.put("pad_token", s));
            }
            return new ChatTemplate(path.toString(), named, tokens, null, RenderSettings.DEFAULT, new ConcurrentHashMap<>());
        }
    }

    private static Optional<String> ggufToken(GgufFile gguf, String[] vocab, String key) {
        OptionalLong id = gguf.optInteger(key);
        if (id.isEmpty() || id.getAsLong() < 0 || id.getAsLong() >= vocab.length) return Optional.empty();
        return Optional.of(vocab[(int) id.getAsLong()]);
    }

    private static boolean isGguf(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            return Arrays.equals(in.readNBytes(4), "GGUF".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new JllmException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JllmException(p + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new JllmException(p + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ configuration

    /** The same template with these special tokens as variables (null values remove a token). */
    public ChatTemplate withSpecialTokens(Map<String, ?> tokens) {
        Map<String, Object> merged = new LinkedHashMap<>(specialTokens);
        tokens.forEach((k, v) -> {
            if (v == null) merged.remove(k);
            else merged.put(k, v);
        });
        return new ChatTemplate(origin, sources, merged, encoder, settings, compiled);
    }

    /** The same template with an encoder for {@code tokenize} (and, given offsets, the assistant tokens mask). */
    public ChatTemplate withEncoder(ChatEncoder e) {
        return new ChatTemplate(origin, sources, specialTokens, e, settings, compiled);
    }

    /** The same template rendering with other limits or another clock. */
    public ChatTemplate withSettings(RenderSettings s) {
        return new ChatTemplate(origin, sources, specialTokens, encoder, s, compiled);
    }

    public String origin() {
        return origin;
    }

    /** The template names ({@code default} for a single template). */
    public List<String> names() {
        return List.copyOf(sources.keySet());
    }

    /** The source text of a named template. */
    public String source(String name) {
        String s = sources.get(name);
        if (s == null) throw new JllmException(origin + ": no chat template named '" + name + "' (have " + names() + ")");
        return s;
    }

    public Map<String, Object> specialTokens() {
        return specialTokens;
    }

    // ------------------------------------------------------------------ rendering

    /** transformers' template choice: the requested name; else {@code tool_use} when tools are given; else {@code default}. */
    String select(ChatOptions options) {
        if (options.templateName() != null) {
            source(options.templateName());
            return options.templateName();
        }
        if (sources.size() == 1) return sources.keySet().iterator().next();
        if (options.tools() != null && sources.containsKey(TOOL_USE_NAME)) return TOOL_USE_NAME;
        if (sources.containsKey(DEFAULT_NAME)) return DEFAULT_NAME;
        throw new JllmException(origin + ": the model has several chat templates " + names()
                + " and none is named 'default'; pick one with a template name");
    }

    private Template template(String name) {
        return compiled.computeIfAbsent(name, n -> Template.compile(sources.get(n),
                sources.size() == 1 ? origin : origin + "#" + n));
    }

    /**
     * Formats {@code messages} (each a dict: a {@code Map}, a Jackson object node, or see {@link Message#toMap()}),
     * as transformers' {@code apply_chat_template}.
     */
    public ChatResult applyChatTemplate(List<?> messages, ChatOptions options) {
        if (options.continueFinalMessage() && options.addGenerationPrompt()) {
            throw new JllmException("continue_final_message and add_generation_prompt are not compatible: use "
                    + "continue_final_message to continue the final message, add_generation_prompt to start a new turn");
        }
        if (options.returnAssistantTokensMask() && !options.tokenize()) {
            throw new JllmException("return_assistant_tokens_mask needs tokenize=true");
        }
        Map<String, Object> vars = new LinkedHashMap<>(specialTokens);
        vars.putAll(options.variables());
        vars.put("messages", messages);
        vars.put("tools", options.tools());
        vars.put("documents", options.documents());
        vars.put("add_generation_prompt", options.addGenerationPrompt());
        Rendering r = template(select(options)).render(vars, settings);
        String text = r.text();
        if (options.continueFinalMessage()) text = cutAfterFinalMessage(text, messages);
        if (!options.tokenize()) return new ChatResult(text, null, null);
        if (encoder == null) {
            throw new JllmException(origin + ": tokenize=true needs an encoder (ChatTemplate.withEncoder)");
        }
        if (!options.returnAssistantTokensMask()) return new ChatResult(text, encoder.encode(text), null);
        ChatEncoder.Encoded enc = encoder.encodeWithOffsets(text);
        return new ChatResult(text, enc.ids(), assistantMask(enc, r.generationSpans()));
    }

    /** Renders and returns the text only. */
    public String render(List<?> messages, ChatOptions options) {
        return applyChatTemplate(messages, options.withTokenize(false).withReturnAssistantTokensMask(false)).text();
    }

    /** transformers' continue_final_message: cut the text right after the final message's content. */
    private String cutAfterFinalMessage(String rendered, List<?> messages) {
        if (messages.isEmpty()) throw new JllmException("continue_final_message needs at least one message");
        Object last = messages.getLast();
        Object content = switch (last) {
            case Map<?, ?> m -> m.get("content");
            case JsonNode n -> n.get("content");
            case Message m -> m.content();
            default -> null;
        };
        String finalText = textOf(content);
        if (finalText == null) {
            throw new JllmException("continue_final_message is set but the final message has no text to continue");
        }
        String stripped = Py.strip(finalText, true, true);
        int at = rendered.lastIndexOf(stripped);
        if (at < 0) {
            throw new JllmException("continue_final_message is set but the final message does not appear in the "
                    + "rendered chat: the template may trim or rewrite message content");
        }
        int keep = Py.strip(finalText, true, false).length();
        // The template kept the message's spacing: cut after it; otherwise it trimmed trailing space: cut after the text.
        if (rendered.substring(at, Math.min(rendered.length(), at + keep)).equals(finalText)) return rendered.substring(0, at + keep);
        return rendered.substring(0, at + stripped.length());
    }

    private static String textOf(Object content) {
        return switch (content) {
            case null -> null;
            case String s -> s;
            case JsonNode n when n.isTextual() -> n.textValue();
            case JsonNode n when n.isArray() -> {
                for (int i = n.size() - 1; i >= 0; i--) if (n.get(i).path("text").isTextual()) yield n.get(i).get("text").textValue();
                yield null;
            }
            case List<?> parts -> {
                for (int i = parts.size() - 1; i >= 0; i--) {
                    if (parts.get(i) instanceof Map<?, ?> m && m.get("text") instanceof String s) yield s;
                    if (parts.get(i) instanceof JsonNode n && n.path("text").isTextual()) yield n.get("text").textValue();
                }
                yield null;
            }
            default -> null;
        };
    }

    /** transformers' mask: tokens from the one holding a span's first character to the one holding its last. */
    static int[] assistantMask(ChatEncoder.Encoded enc, List<Rendering.Span> spans) {
        int[] mask = new int[enc.ids().length];
        for (Rendering.Span span : spans) {
            if (span.end() <= span.start()) continue;
            int startToken = charToToken(enc, span.start());
            int endToken = charToToken(enc, span.end() - 1);
            if (startToken < 0) break;
            int stop = endToken > 0 ? endToken + 1 : mask.length;
            for (int t = startToken; t < stop; t++) mask[t] = 1;
        }
        return mask;
    }

    private static int charToToken(ChatEncoder.Encoded enc, int c) {
        for (int i = 0; i < enc.ids().length; i++) if (enc.starts()[i] <= c && c < enc.ends()[i]) return i;
        return -1;
    }
}
