package dev.jllm.text.jinja;

import dev.jllm.text.jinja.TemplateException.Kind;
import dev.jllm.text.jinja.Value.Dict;
import dev.jllm.text.jinja.Value.Float;
import dev.jllm.text.jinja.Value.Int;
import dev.jllm.text.jinja.Value.Seq;
import dev.jllm.text.jinja.Value.Str;
import dev.jllm.text.jinja.Value.Undefined;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** Jinja2's built-in tests ({@code x is defined}, {@code x is divisibleby 3}, ...). */
final class Tests {
    /** The tests this interpreter knows; a template naming any other fails to compile, as in Jinja. */
    static final Set<String> NAMES = Set.of("defined", "undefined", "none", "boolean", "true", "false", "integer",
            "float", "number", "string", "mapping", "iterable", "sequence", "callable", "sameas", "escaped", "odd", "even",
            "divisibleby", "equalto", "eq", "==", "ne", "!=", "lt", "<", "le", "<=", "gt", ">", "ge", ">=", "in", "lower",
            "upper", "filter", "test");

    private final Interpreter in;

    Tests(Interpreter in) {
        this.in = in;
    }

    boolean apply(String name, Value v, List<Value> args, Map<String, Value> kwargs) {
        Methods.Args a = new Methods.Args(name, args, kwargs);
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v instanceof Value.None;
            case "boolean" -> v instanceof Value.Bool;
            case "true" -> v == Value.TRUE;
            case "false" -> v == Value.FALSE;
            case "integer" -> v instanceof Int;
            case "float" -> v instanceof Float;
            case "number" -> Py.isNumber(v);
            case "string" -> v instanceof Str;
            case "mapping" -> v instanceof Dict;
            case "iterable" -> Py.isIterable(v) || v instanceof Undefined;
            case "sequence" -> v instanceof Str || v instanceof Seq || v instanceof Dict || v instanceof Undefined;
            case "callable" -> v instanceof Value.Callable || v instanceof Undefined || v instanceof LoopContext;
            case "sameas" -> sameAs(v, a.required(0, "other"));
            case "escaped" -> false;
            // Jinja: value % 2 == 1, value % 2 == 0, value % num == 0, with Python's % (floats included)
            case "odd" -> Py.eq(Ops.arithmetic(in, "%", v, Int.of(2)), Int.ONE);
            case "even" -> Py.eq(Ops.arithmetic(in, "%", v, Int.of(2)), Int.ZERO);
            case "divisibleby" -> Py.eq(Ops.arithmetic(in, "%", v, a.required(0, "num")), Int.ZERO);
            case "equalto", "eq", "==" -> Py.eq(v, a.required(0, "other"));
            case "ne", "!=" -> !Py.eq(v, a.required(0, "other"));
            case "lt", "<" -> ordered(v, a.required(0, "other"), "<", c -> c < 0);
            case "le", "<=" -> ordered(v, a.required(0, "other"), "<=", c -> c <= 0);
            case "gt", ">" -> ordered(v, a.required(0, "other"), ">", c -> c > 0);
            case "ge", ">=" -> ordered(v, a.required(0, "other"), ">=", c -> c >= 0);
            case "in" -> Py.contains(a.required(0, "seq"), v);
            case "lower" -> v instanceof Str s ? PyStr.isLower(s.s()) : PyStr.isLower(Py.str(v));
            case "upper" -> v instanceof Str s ? PyStr.isUpper(s.s()) : PyStr.isUpper(Py.str(v));
            case "filter" -> Filters.NAMES.contains(Py.str(v));
            case "test" -> NAMES.contains(Py.str(v));
            default -> throw new TemplateException(Kind.TemplateSyntaxError, "no test named '" + name + "'");
        };
    }

    /** An ordering test; false when a NaN leaves the operands unordered, as in Python. */
    private static boolean ordered(Value a, Value b, String op, java.util.function.IntPredicate holds) {
        int c = Py.compare(a, b, op);
        return c != 2 && holds.test(c);
    }

    /** Python's {@code is}: singletons by identity; small values by equality of type and value. */
    private static boolean sameAs(Value a, Value b) {
        if (a instanceof Value.None || a instanceof Value.Bool || a instanceof Undefined) return a == b;
        if (a.getClass() != b.getClass()) return false;
        if (a instanceof Int || a instanceof Str) return Py.eq(a, b);
        return a == b;
    }
}
