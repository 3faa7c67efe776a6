package dev.jllm.text.jinja;

import dev.jllm.core.JllmException;

/**
 * A template failed to compile or render. The message names the template, the line and column, the kind of error
 * (named after Python's exception so users can match transformers' behaviour) and what was expected;
 * {@link #detail()} is the bare message, which for {@code raise_exception(msg)} is exactly {@code msg}.
 */
public final class TemplateException extends JllmException {

    /** What went wrong, named after the exception Python Jinja2 would raise. */
    public enum Kind {
        /** The template is not valid Jinja. */
        TemplateSyntaxError,
        /** The template called {@code raise_exception(msg)}. */
        TemplateError,
        /** A value was used that is not defined. */
        UndefinedError,
        /** An operation got an operand of the wrong type. */
        TypeError,
        /** An operation got an operand of the right type but a bad value. */
        ValueError,
        /** Division or modulo by zero. */
        ZeroDivisionError,
        /** A float result or conversion out of range. */
        OverflowError,
        /** An index was out of range or a key missing. */
        LookupError,
        /** The template reached for something outside its data (e.g. {@code ''.__class__}). */
        SecurityError,
        /** The render exceeded a configured bound (time, steps, recursion depth, output size). */
        LimitExceeded
    }

    private final Kind kind;
    private final String detail;
    private final String templateName;
    private final int line;
    private final int column;

    public TemplateException(Kind kind, String detail) {
        this(kind, detail, null, 0, 0);
    }

    public TemplateException(Kind kind, String detail, String templateName, int line, int column) {
        super(format(kind, detail, templateName, line, column));
        this.kind = kind;
        this.detail = detail;
        this.templateName = templateName;
        this.line = line;
        this.column = column;
    }

    private static String format(Kind kind, String detail, String templateName, int line, int column) {
        String where = templateName == null ? "" :
                "template " + templateName + (line > 0 ? ", line " + line + ", column " + column : "") + ": ";
        return where + kind + ": " + detail;
    }

    public Kind kind() {
        return kind;
    }

    /** The message without location, exactly as the template or the interpreter gave it. */
    public String detail() {
        return detail;
    }

    public String templateName() {
        return templateName;
    }

    /** 1-based line, 0 when unknown. */
    public int line() {
        return line;
    }

    /** 1-based column, 0 when unknown. */
    public int column() {
        return column;
    }

    boolean hasLocation() {
        return templateName != null && line > 0;
    }

    /** The same error, placed at the given position unless it already has one (the innermost position wins). */
    TemplateException at(String name, int line, int column) {
        if (hasLocation()) return this;
        TemplateException located = new TemplateException(kind, detail, name, line, column);
        located.setStackTrace(getStackTrace());
        return located;
    }

    static TemplateException typeError(String detail) {
        return new TemplateException(Kind.TypeError, detail);
    }

    static TemplateException undefined(String detail) {
        return new TemplateException(Kind.UndefinedError, detail);
    }
}
