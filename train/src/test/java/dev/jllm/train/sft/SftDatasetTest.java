package dev.jllm.train.sft;

import dev.jllm.core.JllmException;
import dev.jllm.testkit.Fixtures;
import dev.jllm.text.chat.ChatEncoder;
import dev.jllm.text.chat.ChatTemplate;
import dev.jllm.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

class SftDatasetTest {
    /** One id per character (code point mod 90, +10), BOS = 1 first: enough to see which positions are masked. */
    private static final Function<String, int[]> ENCODER = text -> {
        int[] ids = new int[text.length() + 1];
        ids[0] = 1;
        for (int i = 0; i < text.length(); i++) ids[i + 1] = 10 + text.charAt(i) % 90;
        return ids;
    };
    private static final int EOS = 2;

    @TempDir
    Path dir;

    private SftDataset load(String jsonl, int maxLength, double evalShare) throws Exception {
        Path f = dir.resolve("rows.jsonl");
        Files.writeString(f, jsonl);
        return SftDataset.load(f, SftDataset.Fields.defaults(), ENCODER, EOS, 100, maxLength, evalShare);
    }

    @Test
    void promptCompletionRowsTakeLossOnTheCompletionAndEndWithEos() throws Exception {
        var d = load("{\"prompt\": \"Q?\", \"completion\": \"ab\"}\n", 1024, 0);
        var e = d.train().examples().getFirst();
        assertArrayEquals(new int[]{1, 10 + 'Q' % 90, 10 + '?' % 90, 10 + 'a' % 90, 10 + 'b' % 90, EOS}, e.inputIds());
        assertArrayEquals(new int[]{-100, -100, -100, 10 + 'a' % 90, 10 + 'b' % 90, EOS}, e.labels());
    }

    @Test
    void textRowsLearnEveryTokenAndAreCutToMaxLength() throws Exception {
        var d = load("{\"text\": \"hello\"}\n\n{\"text\": \"hi\"}\n", 4, 0);
        assertEquals(1, d.truncated());
        assertEquals(4, d.train().examples().getFirst().length());
        var second = d.train().examples().get(1);
        assertArrayEquals(second.inputIds(), second.labels());
        assertEquals(EOS, second.inputIds()[second.length() - 1]);
    }

    @Test
    void lastRowsAreHeldOut() throws Exception {
        var d = load("{\"text\": \"a\"}\n{\"text\": \"b\"}\n{\"text\": \"c\"}\n{\"text\": \"d\"}\n", 1024, 0.25);
        assertEquals(3, d.train().size());
        assertEquals(1, d.eval().size());
    }

    @Test
    void badRowsNameTheirLine() {
        var e = assertThrows(JllmException.class, () -> load("{\"text\": \"a\"}\n\n{\"other\": 1}\n", 1024, 0));
        assertTrue(e.getMessage().contains("rows.jsonl:3"), e.getMessage());
        e = assertThrows(JllmException.class, () -> load("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n", 1024, 0));
        assertTrue(e.getMessage().contains("rows.jsonl:1") && e.getMessage().contains("chat template"), e.getMessage());
    }

    // ------------------------------------------------------------------ conversational rows, real tokenizer

    private static final Path MODEL = Fixtures.resolve("models", "stories260K-hf");
    /** stories260K's own template, with the assistant's answer and EOS inside {% generation %} as TRL's examples do. */
    private static final String GENERATION_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\\n' }}"
            + "{% elif message['role'] == 'assistant' %}{{ 'Assistant:' }}{% generation %}{{ ' ' + message['content'] + eos_token }}{% endgeneration %}{{ '\\n' }}"
            + "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";
    private static final String CONVERSATION = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
            + "{\"role\": \"assistant\", \"content\": \"Once upon a time\"}]}\n";

    private SftDataset loadChat(String jsonl, ChatTemplate template, boolean assistantOnly) throws Exception {
        Path f = dir.resolve("chat.jsonl");
        Files.writeString(f, jsonl);
        Tokenizer tokenizer = Tokenizer.load(MODEL);
        return SftDataset.load(f, SftDataset.Fields.defaults().withAssistantOnlyLoss(assistantOnly), t -> tokenizer.encode(t, true),
                () -> template, EOS, 512, 1024, 0);
    }

    private static ChatTemplate generationTemplate() {
        return ChatTemplate.of(GENERATION_TEMPLATE, "test template")
                .withSpecialTokens(Map.of("bos_token", "<s>", "eos_token", "</s>"))
                .withEncoder(ChatEncoder.of(Tokenizer.load(MODEL)));
    }

    /** "<s>User: Hi\nAssistant: Once upon a time</s>\n": one BOS (the template's), no EOS appended after the template's text. */
    private static final int[] CONVERSATION_IDS = {1, 410, 471, 419, 285, 467, 320, 417, 13, 447, 419, 419, 293, 413, 303, 413, 467, 403, 407, 261, 378, 2, 410, 13};

    @Test
    void messagesRowsUseTheChatTemplateAndLearnEveryTokenByDefault() throws Exception {
        Tokenizer tokenizer = Tokenizer.load(MODEL);
        assertArrayEquals(tokenizer.encode("<s>User: Hi\nAssistant: Once upon a time</s>\n", false), CONVERSATION_IDS);
        // What the template path avoids: encoding the rendered text with special tokens would double the BOS.
        assertArrayEquals(new int[]{1, 1}, Arrays.copyOf(tokenizer.encode("<s>User: Hi\nAssistant: Once upon a time</s>\n", true), 2));
        var e = loadChat(CONVERSATION, generationTemplate(), false).train().examples().getFirst();
        assertArrayEquals(CONVERSATION_IDS, e.inputIds());
        assertArrayEquals(CONVERSATION_IDS, e.labels());
        // The model's own template (no generation blocks) is fine when every token is learned.
        var own = loadChat(CONVERSATION, ChatTemplate.loadWithTokenizer(MODEL), false).train().examples().getFirst();
        assertArrayEquals(CONVERSATION_IDS, own.inputIds());
    }

    @Test
    void assistantOnlyLossKeepsLabelsOnTheGenerationSpanOnly() throws Exception {
        var e = loadChat(CONVERSATION, generationTemplate(), true).train().examples().getFirst();
        assertArrayEquals(CONVERSATION_IDS, e.inputIds());
        int[] expected = CONVERSATION_IDS.clone();
        // Tokens of " Once upon a time</s>" (from " Once", which holds the span's first character, through </s>) keep their labels; the rest,
        // "Assistant: " and the newline after the turn included, are -100.
        int first = 17, last = 21;
        for (int i = 0; i < expected.length; i++) if (i < first || i > last) expected[i] = -100;
        assertArrayEquals(expected, e.labels());
    }

    @Test
    void assistantOnlyLossWithoutGenerationBlocksIsAClearError() {
        var e = assertThrows(JllmException.class, () -> loadChat(CONVERSATION, ChatTemplate.loadWithTokenizer(MODEL), true));
        assertTrue(e.getMessage().contains("{% generation %}"), e.getMessage());
        e = assertThrows(JllmException.class, () -> loadChat("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}]}\n", generationTemplate(), true));
        assertTrue(e.getMessage().contains("chat.jsonl:1") && e.getMessage().contains("no assistant tokens"), e.getMessage());
        e = assertThrows(JllmException.class, () -> loadChat("{\"text\": \"Hi\"}\n", generationTemplate(), true));
        assertTrue(e.getMessage().contains("assistant_only_loss applies to conversational rows"), e.getMessage());
        e = assertThrows(JllmException.class, () -> loadChat("{\"messages\": [{\"content\": \"Hi\"}]}\n", generationTemplate(), false));
        assertTrue(e.getMessage().contains("chat.jsonl:1") && e.getMessage().contains("'role'"), e.getMessage());
    }

    private static final String PROMPT_COMPLETION = "{\"prompt\": [{\"role\": \"user\", \"content\": \"Hi\"}], "
            + "\"completion\": [{\"role\": \"assistant\", \"content\": \"Once upon a time\"}]}\n";

    @Test
    void conversationalPromptCompletionMasksThePromptWithItsGenerationPrompt() throws Exception {
        // The prompt "<s>User: Hi\nAssistant:" (add_generation_prompt) is the first 17 tokens of the whole conversation.
        var e = loadChat(PROMPT_COMPLETION, generationTemplate(), false).train().examples().getFirst();
        assertArrayEquals(CONVERSATION_IDS, e.inputIds());
        int[] expected = CONVERSATION_IDS.clone();
        Arrays.fill(expected, 0, 17, -100);
        assertArrayEquals(expected, e.labels());
        // With assistant_only_loss too, the newline after the turn (outside the generation block) is masked as well.
        e = loadChat(PROMPT_COMPLETION, generationTemplate(), true).train().examples().getFirst();
        Arrays.fill(expected, 22, expected.length, -100);
        assertArrayEquals(expected, e.labels());
    }
}
