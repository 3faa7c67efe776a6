package dev.jllm.eval.task;

import dev.jllm.eval.perplexity.LogitsSource;
import dev.jllm.text.tokenizer.Tokenizer;

import java.util.List;

/** What the runner needs from a model. {@link #generate} may be called from several threads at once. */
public interface ModelUnderTest {

    /** A continuation of {@code prompt} (without the prompt), cut before the first stop string. */
    String generate(String prompt, List<String> stop);

    /** Next-token logits, for log-likelihood tasks and perplexity. */
    LogitsSource logits();

    Tokenizer tokenizer();

    /** Cuts {@code text} before the earliest occurrence of any stop string. */
    static String cutAtStop(String text, List<String> stop) {
        int cut = text.length();
        for (String s : stop) {
            int i = text.indexOf(s);
            if (i >= 0) cut = Math.min(cut, i);
        }
        return text.substring(0, cut);
    }
}
