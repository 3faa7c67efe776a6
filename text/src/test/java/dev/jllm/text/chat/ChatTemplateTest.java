package dev.jllm.text.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.core.gguf.GgufWriter;
import dev.jllm.testkit.Fixtures;
import dev.jllm.text.jinja.TemplateException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatTemplateTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
            + "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    private static final List<Map<String, Object>> CONVERSATION = Message.toMaps(List.of(
            Message.system("Be brief."), Message.user("Hi"), Message.assistant("Hello")));

    @Test
    void rendersMessagesAndGenerationPrompt() {
        ChatTemplate t = ChatTemplate.of(CHATML, "chatml");
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                t.render(Message.toMaps(List.of(Message.user("Hi"))), ChatOptions.defaults().withAddGenerationPrompt(true)));
    }

    @Test
    void continueFinalMessageCutsAfterTheContent() {
        ChatTemplate t = ChatTemplate.of(CHATML, "chatml");
        String text = t.render(CONVERSATION, ChatOptions.defaults().withContinueFinalMessage(true));
        assertTrue(text.endsWith("<|im_start|>assistant\nHello"), text);
        // A template that trims content: the cut falls after the stripped text (transformers' second branch).
        ChatTemplate trimming = ChatTemplate.of(CHATML.replace("{{ m.content }}", "{{ m.content|trim }}"), "trim");
        List<Map<String, Object>> spaced = Message.toMaps(List.of(Message.user("Hi"), Message.assistant("Hello  ")));
        assertTrue(trimming.render(spaced, ChatOptions.defaults().withContinueFinalMessage(true)).endsWith("assistant\nHello"));
        assertThrows(JllmException.class, () -> t.render(CONVERSATION,
                ChatOptions.defaults().withContinueFinalMessage(true).withAddGenerationPrompt(true)));
    }

    @Test
    void extraVariablesToolsAndDocumentsReachTheTemplate() {
        ChatTemplate t = ChatTemplate.of("{{ enable_thinking }}|{{ tools|tojson }}|{{ documents[0].title }}|{{ bos_token }}", "vars")
                .withSpecialTokens(Map.of("bos_token", "<s>"));
        String out = t.render(List.of(), ChatOptions.defaults().with("enable_thinking", false)
                .withTools(List.of(Map.of("name", "f"))).withDocuments(List.of(Map.of("title", "Doc"))));
        assertEquals("False|[{\"name\": \"f\"}]|Doc|<s>", out);
        assertEquals("None||", ChatTemplate.of("{{ tools }}|{{ documents|default('') }}|{{ bos_token }}", "none")
                .render(List.of(), ChatOptions.defaults()).replace("None|None|", "None||"));
    }

    @Test
    void nullSpecialTokenIsUndefined() {
        ChatTemplate t = ChatTemplate.of("{{ bos_token is defined }}", "t").withSpecialTokens(Map.of("bos_token", "<s>"));
        assertEquals("True", t.render(List.of(), ChatOptions.defaults()));
        Map<String, Object> remove = new java.util.HashMap<>();
        remove.put("bos_token", null);
        assertEquals("False", t.withSpecialTokens(remove).render(List.of(), ChatOptions.defaults()));
    }

    @Test
    void folderPrefersChatTemplateJinjaAndReadsSpecialTokens(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": "config", "bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>", "pad_token": null}
                """);
        assertEquals("config", ChatTemplate.load(dir).render(List.of(), ChatOptions.defaults()));
        Files.writeString(dir.resolve("chat_template.jinja"), "{{ bos_token }}jinja{{ eos_token }}{{ pad_token is defined }}");
        ChatTemplate t = ChatTemplate.load(dir);
        assertEquals("<s>jinja</s>False", t.render(List.of(), ChatOptions.defaults()));
        assertEquals(Map.of("bos_token", "<s>", "eos_token", "</s>"), t.specialTokens());
    }

    @Test
    void specialTokensMapFillsInMissingTokens(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": \"{{ bos_token }}|{{ eos_token }}\", \"eos_token\": \"</s>\"}");
        Files.writeString(dir.resolve("special_tokens_map.json"), "{\"bos_token\": {\"content\": \"<s>\"}, \"eos_token\": \"<eos>\"}");
        assertEquals("<s>|</s>", ChatTemplate.load(dir).render(List.of(), ChatOptions.defaults()));
    }

    @Test
    void namedTemplatesPickToolUseWhenToolsArePassed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": [{"name": "default", "template": "plain"}, {"name": "tool_use", "template": "tools"},
                                   {"name": "rag", "template": "rag"}]}
                """);
        ChatTemplate t = ChatTemplate.load(dir);
        assertEquals(List.of("default", "tool_use", "rag"), t.names());
        assertEquals("plain", t.render(List.of(), ChatOptions.defaults()));
        assertEquals("tools", t.render(List.of(), ChatOptions.defaults().withTools(List.of())));
        assertEquals("rag", t.render(List.of(), ChatOptions.defaults().withTemplateName("rag")));
        assertThrows(JllmException.class, () -> t.render(List.of(), ChatOptions.defaults().withTemplateName("nope")));
        ChatTemplate noDefault = ChatTemplate.ofNamed(Map.of("a", "x", "b", "y"), "two");
        JllmException e = assertThrows(JllmException.class, () -> noDefault.render(List.of(), ChatOptions.defaults()));
        assertTrue(e.getMessage().contains("default"), e.getMessage());
    }

    @Test
    void modelWithoutTemplateIsAClearError(@TempDir Path dir) throws Exception {
        JllmException empty = assertThrows(JllmException.class, () -> ChatTemplate.load(dir));
        assertTrue(empty.getMessage().contains("no chat template"), empty.getMessage());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        JllmException config = assertThrows(JllmException.class, () -> ChatTemplate.load(dir));
        assertTrue(config.getMessage().contains("no chat template") && config.getMessage().contains("tokenizer_config.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 5}");
        assertTrue(assertThrows(JllmException.class, () -> ChatTemplate.load(dir)).getMessage().contains("'chat_template'"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{not json");
        assertTrue(assertThrows(JllmException.class, () -> ChatTemplate.load(dir)).getMessage().contains("not valid JSON"));
    }

    @Test
    void ggufTemplateAndSpecialTokens(@TempDir Path dir) {
        Path gguf = dir.resolve("m.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .putString("tokenizer.chat_template", "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ eos_token }}")
                .putStrings("tokenizer.ggml.tokens", new String[]{"<unk>", "<s>", "</s>", "a"})
                .putUInt32("tokenizer.ggml.bos_token_id", 1)
                .putUInt32("tokenizer.ggml.eos_token_id", 2)
                .write(gguf);
        ChatTemplate t = ChatTemplate.load(gguf);
        assertEquals("<s>hi</s>", t.render(Message.toMaps(List.of(Message.user("hi"))), ChatOptions.defaults()));
        assertEquals("<s>hi</s>", ChatTemplate.load(dir).render(Message.toMaps(List.of(Message.user("hi"))), ChatOptions.defaults()));

        Path bare = dir.resolve("bare.gguf");
        new GgufWriter().putString("general.architecture", "llama").write(bare);
        JllmException e = assertThrows(JllmException.class, () -> ChatTemplate.load(bare));
        assertTrue(e.getMessage().contains("tokenizer.chat_template"), e.getMessage());
    }

    @Test
    void realGgufWithoutTemplateFailsClearly() {
        Path gguf = Fixtures.resolve("models", "stories260K", "stories260K.gguf");
        try {
            ChatTemplate.load(gguf);
        } catch (JllmException e) {
            assertTrue(e.getMessage().contains("tokenizer.chat_template"), e.getMessage());
        }
    }

    @Test
    void tokenizeUsesTheEncoderWithoutAddingTokens() {
        ChatTemplate t = ChatTemplate.of("<s>{{ messages[0].content }}", "t")
                .withEncoder(ChatEncoder.of(text -> text.chars().toArray()));
        ChatResult r = t.applyChatTemplate(Message.toMaps(List.of(Message.user("ab"))), ChatOptions.defaults().withTokenize(true));
        assertArrayEquals("<s>ab".chars().toArray(), r.inputIds());
        assertNull(r.assistantMask());
        assertThrows(JllmException.class, () -> ChatTemplate.of("x", "t")
                .applyChatTemplate(List.of(), ChatOptions.defaults().withTokenize(true)));
    }

    @Test
    void assistantMaskMarksGenerationBlocks() {
        String source = "{% for m in messages %}{% if m.role == 'assistant' %}A:{% generation %}{{ m.content }}{% endgeneration %}"
                + "{% else %}U:{{ m.content }}{% endif %};{% endfor %}";
        // one token per character, so the mask is visible character by character
        ChatEncoder perChar = ChatEncoder.withOffsets(text -> {
            int n = text.length();
            int[] ids = text.chars().toArray(), starts = new int[n], ends = new int[n];
            for (int i = 0; i < n; i++) {
                starts[i] = i;
                ends[i] = i + 1;
            }
            return new ChatEncoder.Encoded(ids, starts, ends);
        });
        ChatTemplate t = ChatTemplate.of(source, "gen").withEncoder(perChar);
        ChatResult r = t.applyChatTemplate(Message.toMaps(List.of(Message.user("hi"), Message.assistant("yo"))),
                ChatOptions.defaults().withTokenize(true).withReturnAssistantTokensMask(true));
        assertEquals("U:hi;A:yo;", r.text());
        assertArrayEquals(new int[]{0, 0, 0, 0, 0, 0, 0, 1, 1, 0}, r.assistantMask());
        assertEquals(r.inputIds().length, r.assistantMask().length);
        assertThrows(JllmException.class, () -> t.applyChatTemplate(List.of(),
                ChatOptions.defaults().withReturnAssistantTokensMask(true)));
        assertThrows(UnsupportedOperationException.class, () -> t.withEncoder(ChatEncoder.of(s -> new int[0]))
                .applyChatTemplate(List.of(), ChatOptions.defaults().withTokenize(true).withReturnAssistantTokensMask(true)));
    }

    /** stories260K: the rendered text tokenized as transformers does — one BOS, from the template. */
    @Test
    void stories260kTokenIdsMatchTransformers() throws Exception {
        Path model = Fixtures.resolve("models", "stories260K-hf");
        JsonNode root = JSON.readTree(Fixtures.resolve("tokenizers", "stories260K", "chat_template_cases.json").toFile());
        ChatTemplate t = ChatTemplate.loadWithTokenizer(model);
        for (JsonNode c : root.get("cases")) {
            List<JsonNode> messages = new ArrayList<>();
            c.get("messages").forEach(messages::add);
            ChatResult r = t.applyChatTemplate(messages, ChatOptions.defaults()
                    .withAddGenerationPrompt(c.get("add_generation_prompt").asBoolean()).withTokenize(true));
            assertEquals(c.get("text").textValue(), r.text());
            int[] expected = new int[c.get("input_ids").size()];
            for (int i = 0; i < expected.length; i++) expected[i] = c.get("input_ids").get(i).asInt();
            assertArrayEquals(expected, r.inputIds());
            assertEquals(1, r.inputIds()[0]);
            assertNotEquals(1, r.inputIds()[1], "no duplicated BOS");
        }
    }

    @Test
    void templateErrorsPropagateAsTemplateExceptions() {
        ChatTemplate t = ChatTemplate.of("{{ raise_exception('no system role') }}", "strict");
        TemplateException e = assertThrows(TemplateException.class, () -> t.render(List.of(), ChatOptions.defaults()));
        assertEquals("no system role", e.detail());
        assertTrue(e.getMessage().contains("strict"));
    }
}
