package dev.jllm.text.jinja;

import dev.jllm.text.jinja.TemplateException.Kind;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Errors name the template, the line and column, and what was expected. */
class ErrorMessageTest {

    private static TemplateException compileError(String source) {
        return assertThrows(TemplateException.class, () -> Template.compile(source, "model.jinja"));
    }

    private static TemplateException renderError(String source, Map<String, ?> vars) {
        Template t = Template.compile(source, "model.jinja");
        return assertThrows(TemplateException.class, () -> t.render(vars));
    }

    @Test
    void unclosedBlockNamesTheMissingEndTag() {
        TemplateException e = compileError("{% for m in messages %}\n{% if m %}x\n{% endfor %}");
        assertEquals(Kind.TemplateSyntaxError, e.kind());
        assertTrue(e.getMessage().startsWith("template model.jinja, line 3"), e.getMessage());
        assertTrue(e.getMessage().contains("endif"), e.getMessage());
    }

    @Test
    void endOfTemplateInsideBlock() {
        TemplateException e = compileError("{% if x %}\nabc");
        assertTrue(e.getMessage().contains("'{% endif %}'") || e.getMessage().contains("endif"), e.getMessage());
        assertEquals(2, e.line());
    }

    @Test
    void missingExpressionGivesLineAndColumn() {
        TemplateException e = compileError("line one\n  {{ 1 + }}");
        assertEquals(2, e.line());
        assertEquals(10, e.column());
        assertTrue(e.getMessage().contains("expected an expression"), e.getMessage());
    }

    @Test
    void unclosedTagsAndStrings() {
        assertTrue(compileError("{{ x ").getMessage().contains("'}}'"));
        assertTrue(compileError("{% if x ").getMessage().contains("'%}'"));
        assertTrue(compileError("{{ 'abc }}").getMessage().contains("unterminated string"));
        assertTrue(compileError("{# abc").getMessage().contains("'#}'"));
    }

    @Test
    void unknownFiltersTestsAndTags() {
        assertTrue(compileError("{{ x|frobnicate }}").getMessage().contains("no filter named 'frobnicate'"));
        assertTrue(compileError("{{ x is frobnicated }}").getMessage().contains("no test named 'frobnicated'"));
        assertTrue(compileError("{% frob %}").getMessage().contains("unknown tag 'frob'"));
    }

    @Test
    void runtimeErrorsPointAtTheExpression() {
        TemplateException e = renderError("a\nb\n  {{ 1 + 'x' }}", Map.of());
        assertEquals(Kind.TypeError, e.kind());
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("unsupported operand type(s) for +: 'int' and 'str'"), e.getMessage());
        assertTrue(e.getMessage().contains("model.jinja"), e.getMessage());
    }

    @Test
    void undefinedAttributeOfUndefinedNamesTheVariable() {
        TemplateException e = renderError("{{ foo.bar }}", Map.of());
        assertEquals(Kind.UndefinedError, e.kind());
        assertEquals("'foo' is undefined", e.detail());
    }

    @Test
    void raiseExceptionKeepsTheMessageExactly() {
        TemplateException e = renderError("\n{% if true %}{{ raise_exception('Roles must alternate') }}{% endif %}", Map.of());
        assertEquals(Kind.TemplateError, e.kind());
        assertEquals("Roles must alternate", e.detail());
        assertEquals(2, e.line());
    }

    @Test
    void errorsAreJllmExceptions() {
        assertTrue(compileError("{{") instanceof dev.jllm.core.JllmException);
    }
}
