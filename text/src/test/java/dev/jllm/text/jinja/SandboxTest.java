package dev.jllm.text.jinja;

import dev.jllm.text.jinja.TemplateException.Kind;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile templates fail fast with a clear error, and nothing else happens (no hang, no OOM, no escape). */
class SandboxTest {
    private static final Duration QUICKLY = Duration.ofSeconds(10);

    private static TemplateException fails(String source, RenderSettings settings) {
        return assertTimeoutPreemptively(QUICKLY, () -> assertThrows(TemplateException.class,
                () -> Template.compile(source, "hostile.jinja").render(Map.of("messages", List.of()), settings)));
    }

    private static TemplateException fails(String source) {
        return fails(source, RenderSettings.DEFAULT);
    }

    private static void assertLimit(TemplateException e, String mentions) {
        assertEquals(Kind.LimitExceeded, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains(mentions), e.getMessage());
        assertTrue(e.getMessage().contains("hostile.jinja"), e.getMessage());
    }

    @Test
    void nestedHugeLoopsHitTheStepLimit() {
        assertLimit(fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"), "steps");
    }

    @Test
    void stepLimitIsConfigurable() {
        RenderSettings tight = RenderSettings.DEFAULT.withLimits(Limits.DEFAULT.withMaxSteps(1000));
        assertLimit(fails("{% for i in range(2000) %}x{% endfor %}", tight), "1000 steps");
        assertEquals(1000, Template.compile("{% for i in range(1000) %}x{% endfor %}", "ok")
                .render(Map.of(), RenderSettings.DEFAULT).text().length());
    }

    @Test
    void slowRendersHitTheTimeLimit() {
        RenderSettings fast = RenderSettings.DEFAULT.withLimits(Limits.DEFAULT.withTimeout(Duration.ofMillis(50))
                .withMaxSteps(Long.MAX_VALUE));
        long start = System.nanoTime();
        assertLimit(fails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", fast), "time limit");
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "stopped soon after the deadline");
    }

    @Test
    void endlessMacroRecursionHitsTheDepthLimit() {
        assertLimit(fails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}"), "recursion");
        RenderSettings shallow = RenderSettings.DEFAULT.withLimits(Limits.DEFAULT.withMaxRecursionDepth(5));
        assertLimit(fails("{% macro f(n) %}{% if n < 10 %}{{ f(n + 1) }}{% endif %}{% endmacro %}{{ f(0) }}", shallow),
                "deeper than 5");
    }

    @Test
    void endlessRecursiveLoopHitsTheDepthLimit() {
        Map<String, Object> tree = new java.util.HashMap<>();
        tree.put("c", List.of());
        // a loop that recurses into the same list forever
        assertLimit(fails("{% set xs = [1] %}{% for x in xs recursive %}{{ loop(xs) }}{% endfor %}"), "recursion");
    }

    @Test
    void hugeRangeIsRefused() {
        assertLimit(fails("{% for i in range(1000000000) %}{% endfor %}"), "range");
    }

    @Test
    void gigabyteStringsAreRefusedBeforeTheyAreBuilt() {
        assertLimit(fails("{{ 'a' * 1000000000 }}"), "exceeds");
        assertLimit(fails("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"), "exceeds");
        assertLimit(fails("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"), "exceeds");
        assertLimit(fails("{{ 'x'|center(1000000000) }}"), "exceeds");
        assertLimit(fails("{{ 'x'.ljust(1000000000) }}"), "exceeds");
        assertLimit(fails("{{ '{:>1000000000}'.format('x') }}"), "exceeds");
        assertLimit(fails("{{ '%1000000000s' % 'x' }}"), "exceeds");
        assertLimit(fails("{{ 'aaaa'.replace('a', 'b' * 10000000) }}"), "exceeds");
        assertLimit(fails("{{ [1] * 1000000000 }}"), "exceeds");
        assertLimit(fails("{{ 'a\\nb'|indent(1000000000) }}"), "exceeds");
        assertLimit(fails("{{ 2 ** 1000000000 }}"), "too large");
    }

    @Test
    void keepingManyLargeStringsAliveHitsTheTotalBound() {
        assertLimit(fails("{% set ns = namespace(l=[]) %}{% set big = 'x' * 10000000 %}"
                + "{% for i in range(100) %}{% set ns.l = ns.l + [big ~ i] %}{% endfor %}"), "in total");
        assertLimit(fails("{% set ns = namespace(l=[]) %}{% set big = 'x' * 10000000 %}"
                + "{% for i in range(100) %}{% set ns.l = ns.l + [big|upper] %}{% endfor %}"), "in total");
    }

    @Test
    void largeCollectionsStayLinear() {
        assertEquals("100000", assertTimeoutPreemptively(QUICKLY, () -> Template.compile(
                "{{ range(100000)|unique|list|length }}", "t").render(Map.of())));
        assertLimit(fails("{% for c in 'x' * 2000000 %}{% endfor %}"), "iterating");
    }

    @Test
    void outputSizeIsBounded() {
        assertLimit(fails("{% for i in range(100000) %}{{ 'x' * 1000 }}{% endfor %}"), "exceeds");
        RenderSettings small = RenderSettings.DEFAULT.withLimits(Limits.DEFAULT.withMaxOutputChars(100));
        assertLimit(fails("{% for i in range(101) %}x{% endfor %}", small), "exceeds the limit of 100");
    }

    @Test
    void pythonInternalsAreUnreachable() {
        for (String source : List.of("{{ ''.__class__ }}", "{{ ''.__class__.__mro__ }}", "{{ messages.__class__ }}",
                "{{ range.__self__ }}", "{{ raise_exception.__globals__ }}", "{{ ''|attr('__class__') }}",
                "{{ ''['__class__'] }}", "{{ namespace.__init__ }}", "{% set ns = namespace() %}{{ ns.__dict__ }}",
                "{{ {}.__class__ }}", "{{ (1).__class__ }}", "{% for x in [1] %}{{ loop.__class__ }}{% endfor %}")) {
            TemplateException e = fails(source);
            assertTrue(e.kind() == Kind.SecurityError || e.kind() == Kind.UndefinedError, source + ": " + e.getMessage());
        }
        assertEquals(Kind.SecurityError, fails("{{ ''.__class__ }}").kind());
        assertTrue(fails("{{ ''.__class__ }}").getMessage().contains("'__class__'"));
    }

    @Test
    void valuesCannotBeModified() {
        assertEquals(Kind.SecurityError, fails("{% set xs = [1] %}{{ xs.append(2) }}").kind());
        assertEquals(Kind.SecurityError, fails("{% set d = {} %}{{ d.update({'a': 1}) }}").kind());
        assertEquals(Kind.SecurityError, fails("{{ messages.pop() }}").kind());
        assertEquals(Kind.TypeError, fails("{% set d = {} %}{% set d.x = 1 %}").kind());
    }

    @Test
    void templatesCannotLoadOtherTemplates() {
        for (String source : List.of("{% include 'x' %}", "{% import 'x' as y %}", "{% extends 'x' %}", "{% from 'x' import y %}")) {
            TemplateException e = assertThrows(TemplateException.class, () -> Template.compile(source, "t"));
            assertEquals(Kind.TemplateSyntaxError, e.kind());
            assertTrue(e.getMessage().contains("not supported"), e.getMessage());
        }
    }

    @Test
    void deeplyNestedSourceFailsCleanly() {
        String deep = "{{ " + "(".repeat(100_000) + "1" + ")".repeat(100_000) + " }}";
        TemplateException e = assertThrows(TemplateException.class, () -> Template.compile(deep, "deep"));
        assertTrue(e.getMessage().contains("deep"), e.getMessage());
    }

    @Test
    void renderingStaysUsableAfterALimit() {
        fails("{{ 'a' * 1000000000 }}");
        assertEquals("ok", Template.compile("ok", "t").render(Map.of()));
    }
}
