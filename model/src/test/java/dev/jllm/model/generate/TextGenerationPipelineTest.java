package dev.jllm.model.generate;

import dev.jllm.text.chat.Message;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TextGenerationPipelineTest {
    private static final Path MODEL = Fixtures.resolve("models", "stories260K-hf");

    @Test
    void promptGenerationStreamsTheSameTextItReturns() {
        try (var p = TextGenerationPipeline.load(MODEL)) {
            StringBuilder streamed = new StringBuilder();
            var r = p.generate("Once upon a time", p.defaultOptions().maxNewTokens(30).build(), streamed::append);
            assertEquals(r.text(), streamed.toString());
            assertEquals(30, r.generation().generatedIds().length);
            assertEquals(1, r.generation().promptIds()[0], "BOS added by the tokenizer");
        }
    }

    @Test
    void secondChatTurnReusesTheCacheAndMatchesAFreshRun() {
        GenerationOptions greedy;
        List<Message> history = new ArrayList<>();
        history.add(Message.system("You tell stories."));
        history.add(Message.user("Tell me about a cat."));
        String second;
        int secondPromptLength;
        try (var p = TextGenerationPipeline.load(MODEL)) {
            greedy = p.defaultOptions().maxNewTokens(12).build();
            var first = p.chat(history, greedy, null);
            history.add(Message.assistant(first.text()));
            history.add(Message.user("And then?"));
            var r = p.chat(history, greedy, null);
            second = r.text();
            secondPromptLength = r.generation().promptIds().length;
            assertTrue(r.generation().prefillTokens() < secondPromptLength / 2,
                    "only the new turn is prefilled: " + r.generation().prefillTokens() + " of " + secondPromptLength);
        }
        try (var fresh = TextGenerationPipeline.load(MODEL)) {
            var r = fresh.chat(history, greedy, null);
            assertEquals(r.text(), second);
            assertEquals(r.generation().promptIds().length, secondPromptLength);
        }
    }
}
