package dev.jllm.text.jinja;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code {% generation %}} spans, compared with transformers' AssistantTracker (run on Python Jinja2: the tracker
 * records the top-level output length when the block ends, plus the block's length).
 */
class GenerationSpansTest {

    private static Rendering render(String source) {
        return Template.compile(source, "gen").render(Map.of(), RenderSettings.DEFAULT);
    }

    @Test
    void spansInsideLoops() {
        Rendering r = render("{% for m in ['u', 'a'] %}<{{ m }}>{% if m == 'a' %}{% generation %}{{ m * 3 }}!"
                + "{% endgeneration %}{% endif %}{% endfor %}end");
        assertEquals("<u><a>aaa!end", r.text());
        assertEquals(List.of(new Rendering.Span(6, 10)), r.generationSpans());
    }

    @Test
    void spansInsideMacrosFollowTheTrackerQuirk() {
        // the macro's own text is not written yet when the block ends, so the span starts after "A"
        Rendering r = render("A{% macro m() %}xx{% generation %}G{% endgeneration %}{% endmacro %}{{ m() }}");
        assertEquals("AxxG", r.text());
        assertEquals(List.of(new Rendering.Span(1, 2)), r.generationSpans());
    }
}
