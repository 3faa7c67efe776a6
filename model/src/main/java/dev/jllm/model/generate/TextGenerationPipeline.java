package dev.jllm.model.generate;

import dev.jllm.core.JllmException;
import dev.jllm.model.Model;
import dev.jllm.text.chat.ChatOptions;
import dev.jllm.text.chat.ChatTemplate;
import dev.jllm.text.chat.Message;
import dev.jllm.text.tokenizer.StreamDecoder;
import dev.jllm.text.tokenizer.Tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Text in, text out, like transformers' {@code pipeline("text-generation")}: the prompt is tokenized with the
 * tokenizer's special tokens (BOS...), generated with {@link Generator}, and the new tokens are decoded without
 * special tokens, streamed piece by piece as they become complete text.
 */
public final class TextGenerationPipeline implements AutoCloseable {
    private final Model model;
    private final Tokenizer tokenizer;
    private ChatTemplate chatTemplate;
    private Model.Session chatSession;
    private int[] chatIds;

    /** @param chatTemplate null to load the model's own template on the first {@link #chat} */
    public TextGenerationPipeline(Model model, Tokenizer tokenizer, ChatTemplate chatTemplate) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.chatTemplate = chatTemplate;
    }

    /** Loads the model and the tokenizer next to it (the same .gguf, or the folder's tokenizer files). */
    public static TextGenerationPipeline load(Path modelPath) {
        Model model = Model.load(modelPath);
        try {
            return new TextGenerationPipeline(model, Tokenizer.load(modelPath), null);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    public Model model() {
        return model;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** Options starting from the model's generation_config.json (and its EOS ids), as transformers does. */
    public GenerationOptions.Builder defaultOptions() {
        GenerationOptions.Builder b = GenerationOptions.builder(model.generationConfig());
        b.eosTokenIds(model.eosTokenIds());
        return b;
    }

    /** The text produced and the token-level result. */
    public record Result(String text, GenerationResult generation) {}

    /** Generates a continuation of {@code prompt}; {@code onText} (may be null) receives the new text as it streams. */
    public Result generate(String prompt, GenerationOptions options, Consumer<String> onText) {
        return generateIds(tokenizer.encode(prompt, true), options, onText);
    }

    /** Generates from already tokenized input (e.g. a rendered chat). */
    public Result generateIds(int[] promptIds, GenerationOptions options, Consumer<String> onText) {
        return generateIds(null, promptIds, options, onText);
    }

    private Result generateIds(Model.Session session, int[] promptIds, GenerationOptions options, Consumer<String> onText) {
        if (promptIds.length == 0) {
            throw new JllmException("the prompt encodes to no tokens and the tokenizer adds no BOS; give a non-empty prompt");
        }
        StreamDecoder stream = tokenizer.streamDecoder(true);
        Generator generator = new Generator(model::newSession, ids -> tokenizer.decode(ids, true));
        GenerationResult r = generator.generate(session, promptIds, options, id -> {
            if (onText != null) stream.step(id).ifPresent(onText);
            return true;
        });
        return new Result(tokenizer.decode(r.generatedIds(), true), r);
    }

    /**
     * Renders {@code messages} with the model's chat template (generation prompt added), tokenizes the text without
     * adding special tokens again (the template writes them), and generates the assistant's reply.
     */
    public Result chat(List<Message> messages, GenerationOptions options, Consumer<String> onText) {
        String text = chatTemplate().render(Message.toMaps(messages), ChatOptions.defaults().withAddGenerationPrompt(true));
        int[] ids = tokenizer.encode(text, false);
        // Multi-turn chats re-render the whole conversation; the KV cache of the longest common prefix with the
        // previous turn's tokens is kept, so only the new part is prefilled.
        if (chatSession == null) {
            chatSession = model.newSession(Math.max(model.config().maxPositionEmbeddings(), ids.length + 1024));
            chatIds = new int[0];
        }
        int common = 0;
        int limit = Math.min(Math.min(chatIds.length, chatSession.position()), ids.length - 1);
        while (common < limit && chatIds[common] == ids[common]) common++;
        chatSession.truncate(common);
        Result r = generateIds(chatSession, ids, options, onText);
        chatIds = r.generation().allIds();
        return r;
    }

    /** Forgets the cached conversation (the next {@link #chat} prefills from scratch). */
    public void resetChat() {
        chatSession = null;
        chatIds = null;
    }

    /** The model's chat template, with the tokenizer's special tokens as variables where the template has none. */
    public synchronized ChatTemplate chatTemplate() {
        if (chatTemplate == null) {
            ChatTemplate t = ChatTemplate.load(model.path());
            Map<String, Object> tokens = new HashMap<>();
            tokenizer.bosToken().ifPresent(b -> tokens.put("bos_token", b));
            tokenizer.eosToken().ifPresent(e -> tokens.put("eos_token", e));
            tokens.keySet().removeAll(t.specialTokens().keySet());
            chatTemplate = t.withSpecialTokens(tokens);
        }
        return chatTemplate;
    }

    @Override
    public void close() {
        model.close();
    }
}
