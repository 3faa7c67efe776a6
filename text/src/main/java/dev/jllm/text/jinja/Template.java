package dev.jllm.text.jinja;

import dev.jllm.text.jinja.TemplateException.Kind;
import dev.jllm.text.jinja.Value.Callable;
import dev.jllm.text.jinja.Value.Dict;
import dev.jllm.text.jinja.Value.Int;
import dev.jllm.text.jinja.Value.Namespace;
import dev.jllm.text.jinja.Value.Str;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled Jinja2 template, rendered in a sandbox the way transformers renders chat templates:
 * {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with loop controls,
 * {@code {% generation %}}, {@code raise_exception} and {@code strftime_now}.
 *
 * <pre>{@code
 * Template t = Template.compile("{% for m in messages %}{{ m.content }}{% endfor %}", "example");
 * String text = t.render(Map.of("messages", List.of(Map.of("role", "user", "content", "hi"))));
 * }</pre>
 *
 * A compiled template is immutable and may be rendered concurrently.
 */
public final class Template {
    private final String name;
    private final List<Node.Stmt> body;
    private final Map<Object, java.util.Set<String>> frames;

    private Template(String name, List<Node.Stmt> body) {
        this.name = name;
        this.body = body;
        this.frames = FrameAnalysis.analyze(body);
    }

    /** Parses {@code source}; {@code name} appears in every error message. */
    public static Template compile(String source, String name) {
        try {
            return new Template(name, new Parser(source, name).parseTemplate());
        } catch (StackOverflowError e) {
            throw new TemplateException(Kind.TemplateSyntaxError, "the template nests too deeply to parse", name, 0, 0);
        }
    }

    public String name() {
        return name;
    }

    /** Renders with default limits and the system clock; variables are plain Java data (see {@link Py#of}). */
    public String render(Map<String, ?> variables) {
        return render(variables, RenderSettings.DEFAULT).text();
    }

    public Rendering render(Map<String, ?> variables, RenderSettings settings) {
        Map<String, Value> vars = new HashMap<>();
        variables.forEach((k, v) -> vars.put(k, Py.of(v)));
        Interpreter interpreter = new Interpreter(name, settings.limits(), globals(settings), frames);
        String text = interpreter.render(body, vars);
        List<Rendering.Span> spans = new ArrayList<>();
        for (int[] s : interpreter.generationSpans()) spans.add(new Rendering.Span(s[0], s[1]));
        return new Rendering(text, spans);
    }

    private static Map<String, Value> globals(RenderSettings settings) {
        Map<String, Value> g = new HashMap<>();
        g.put("raise_exception", new Callable("raise_exception", (args, kwargs) -> {
            String message = args.isEmpty() ? Py.str(kwargs.getOrDefault("message", Str.EMPTY)) : Py.str(args.getFirst());
            throw new TemplateException(Kind.TemplateError, message);
        }));
        g.put("strftime_now", new Callable("strftime_now", (args, kwargs) -> {
            if (args.isEmpty()) throw TemplateException.typeError("strftime_now() missing required argument 'format'");
            return new Str(PyFormat.strftime(Py.str(args.getFirst()), settings.clock().get()));
        }));
        g.put("range", new Callable("range", (args, kwargs) -> range(args, settings.limits().maxRange())));
        g.put("dict", new Callable("dict", (args, kwargs) -> {
            LinkedHashMap<Value, Value> map = new LinkedHashMap<>();
            if (!args.isEmpty()) {
                if (args.getFirst() instanceof Dict d) map.putAll(d.map());
                else for (Value pair : Py.iterate(args.getFirst())) {
                    List<Value> kv = Py.iterate(pair);
                    if (kv.size() != 2) throw new TemplateException(Kind.ValueError, "dictionary update sequence element has length " + kv.size() + "; 2 is required");
                    map.put(kv.get(0), kv.get(1));
                }
            }
            kwargs.forEach((k, v) -> map.put(new Str(k), v));
            return new Dict(map);
        }));
        g.put("namespace", new Callable("namespace", (args, kwargs) -> {
            Map<String, Value> attrs = new LinkedHashMap<>();
            for (Value a : args) {
                if (!(a instanceof Dict d)) throw TemplateException.typeError("namespace() takes mappings, not " + Py.typeName(a));
                d.map().forEach((k, v) -> attrs.put(Py.str(k), v));
            }
            attrs.putAll(kwargs);
            return new Namespace(attrs);
        }));
        g.put("joiner", new Callable("joiner", (args, kwargs) -> {
            String sep = args.isEmpty() ? Py.str(kwargs.getOrDefault("sep", new Str(", "))) : Py.str(args.getFirst());
            boolean[] used = {false};
            return new Callable("joiner", (a, k) -> {
                if (!used[0]) {
                    used[0] = true;
                    return Str.EMPTY;
                }
                return new Str(sep);
            });
        }));
        return g;
    }

    private static Value range(List<Value> args, int maxRange) {
        if (args.isEmpty() || args.size() > 3) throw TemplateException.typeError("range expected 1 to 3 arguments, got " + args.size());
        BigInteger start = BigInteger.ZERO, stop, step = BigInteger.ONE;
        if (args.size() == 1) stop = rangeArg(args.get(0));
        else {
            start = rangeArg(args.get(0));
            stop = rangeArg(args.get(1));
            if (args.size() == 3) step = rangeArg(args.get(2));
        }
        if (step.signum() == 0) throw new TemplateException(Kind.ValueError, "range() arg 3 must not be zero");
        BigInteger span = step.signum() > 0 ? stop.subtract(start) : start.subtract(stop);
        BigInteger length = span.signum() <= 0 ? BigInteger.ZERO
                : span.add(step.abs()).subtract(BigInteger.ONE).divide(step.abs());
        if (length.compareTo(BigInteger.valueOf(maxRange)) > 0) {
            throw new TemplateException(Kind.LimitExceeded, "range too big: " + length + " items, the limit is " + maxRange);
        }
        List<Value> items = new ArrayList<>(length.intValue());
        BigInteger v = start;
        for (int k = 0; k < length.intValue(); k++, v = v.add(step)) items.add(new Int(v));
        return Value.Seq.list(items);
    }

    private static BigInteger rangeArg(Value v) {
        if (!(v instanceof Int || v instanceof Value.Bool)) {
            throw TemplateException.typeError("'" + Py.typeName(v) + "' object cannot be interpreted as an integer");
        }
        return Py.toBigInt(v);
    }
}
