package dev.jllm.text.jinja;

import java.util.List;

/**
 * The output of a render, with the character spans that {@code {% generation %}} blocks wrote (used for
 * transformers' {@code return_assistant_tokens_mask}).
 */
public record Rendering(String text, List<Span> generationSpans) {

    /** Characters [start, end) of {@link #text()} (UTF-16 indexes). */
    public record Span(int start, int end) {}

    public Rendering {
        generationSpans = List.copyOf(generationSpans);
    }
}
