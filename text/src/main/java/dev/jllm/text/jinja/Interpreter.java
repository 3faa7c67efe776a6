package dev.jllm.text.jinja;

import dev.jllm.text.jinja.Node.*;
import dev.jllm.text.jinja.TemplateException.Kind;
import dev.jllm.text.jinja.Value.Callable;
import dev.jllm.text.jinja.Value.Dict;
import dev.jllm.text.jinja.Value.Float;
import dev.jllm.text.jinja.Value.Int;
import dev.jllm.text.jinja.Value.Namespace;
import dev.jllm.text.jinja.Value.Seq;
import dev.jllm.text.jinja.Value.Str;
import dev.jllm.text.jinja.Value.Undefined;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Executes one render of a parsed template: a tree-walking evaluator with Python semantics and hard bounds. */
final class Interpreter {

    /** How a statement list finished: normally, or by {@code break}/{@code continue} bubbling up to its loop. */
    private enum Flow { NORMAL, BREAK, CONTINUE }

    /** A variable scope; {@code for} iterations, macros and {@code with} blocks open a child scope, as in Jinja. */
    static final class Scope {
        final Scope parent;
        final Map<String, Value> vars = new HashMap<>();

        Scope(Scope parent) {
            this.parent = parent;
        }

        Value lookup(String name) {
            for (Scope s = this; s != null; s = s.parent) {
                Value v = s.vars.get(name);
                if (v != null) return v;
            }
            return null;
        }
    }

    private final String templateName;
    private final Limits limits;
    private final Map<String, Value> globals;
    /** Per frame body, the names Jinja starts that frame with as undefined (see {@link FrameAnalysis}). */
    private final Map<Object, java.util.Set<String>> frames;
    private final long deadline;
    private long steps;
    private int depth;
    /** Characters (and list items) that operations may still build in this render; see {@link #charge}. */
    private long allocationBudget;
    private StringBuilder out;
    private final StringBuilder root;
    private final List<int[]> generationSpans = new ArrayList<>();
    final Filters filters;
    final Tests tests;

    Interpreter(String templateName, Limits limits, Map<String, Value> globals, Map<Object, java.util.Set<String>> frames) {
        this.templateName = templateName;
        this.frames = frames;
        this.limits = limits;
        this.globals = globals;
        this.deadline = System.nanoTime() + limits.timeout().toNanos();
        this.allocationBudget = limits.maxOutputChars() * 8L;
        this.root = new StringBuilder();
        this.out = root;
        this.filters = new Filters(this);
        this.tests = new Tests(this);
    }

    Limits limits() {
        return limits;
    }

    String render(List<Stmt> body, Map<String, Value> variables) {
        Scope top = new Scope(null);
        top.vars.putAll(variables);
        markUndefined(top, body);
        try {
            exec(body, top);
        } catch (StackOverflowError e) {
            throw new TemplateException(Kind.LimitExceeded, "recursion too deep for the Java stack", templateName, 0, 0);
        }
        return root.toString();
    }

    List<int[]> generationSpans() {
        return generationSpans;
    }

    // ------------------------------------------------------------------ bounds

    private void step(Pos pos) {
        if (++steps > limits.maxSteps()) {
            throw new TemplateException(Kind.LimitExceeded, "the render exceeded " + limits.maxSteps()
                    + " steps (an endless or huge loop?)", templateName, pos.line(), pos.column());
        }
        if ((steps & 63) == 0 && System.nanoTime() > deadline) {
            throw new TemplateException(Kind.LimitExceeded, "the render exceeded its time limit of "
                    + limits.timeout().toMillis() + " ms", templateName, pos.line(), pos.column());
        }
    }

    /** Fails before a string of {@code length} characters is built when it would exceed the output bound. */
    void checkLength(long length) {
        if (length > limits.maxOutputChars()) {
            throw new TemplateException(Kind.LimitExceeded, "a string of " + length + " characters exceeds the limit of "
                    + limits.maxOutputChars());
        }
    }

    private void write(String s) {
        if (s.isEmpty()) return;
        checkLength((long) out.length() + s.length());
        out.append(s);
    }

    /**
     * Counts what an operation built. Each string is bounded by {@link #checkLength}, but a loop could keep many of
     * them alive (e.g. appending a large string to a list in every iteration), so the total is bounded too.
     */
    private void charge(Value built) {
        long units = switch (built) {
            case Str s -> s.s().length();
            case Seq q -> q.items().size();
            case Dict d -> d.map().size();
            default -> 0;
        };
        allocationBudget -= units;
        if (allocationBudget < 0) {
            throw new TemplateException(Kind.LimitExceeded, "the render built more than " + limits.maxOutputChars() * 8L
                    + " characters of strings and list items in total (a runaway string or list?)");
        }
    }

    /** A new scope for a frame whose body is {@code body}, with the names Jinja starts it with as undefined. */
    private Scope frame(Scope parent, List<Stmt> body) {
        Scope scope = new Scope(parent);
        markUndefined(scope, body);
        return scope;
    }

    private void markUndefined(Scope scope, List<Stmt> body) {
        java.util.Set<String> names = frames.get(body);
        if (names != null) for (String n : names) scope.vars.put(n, new Undefined("'" + n + "' is undefined"));
    }

    private interface Body {
        void run();
    }

    /** Runs {@code body} with output going to a fresh buffer, returns what it wrote. */
    private String capture(Body body) {
        StringBuilder saved = out;
        StringBuilder buffer = new StringBuilder();
        out = buffer;
        try {
            body.run();
        } finally {
            out = saved;
        }
        return buffer.toString();
    }

    private TemplateException locate(TemplateException e, Pos pos) {
        return e.at(templateName, pos.line(), pos.column());
    }

    // ------------------------------------------------------------------ statements

    private Flow exec(List<Stmt> body, Scope scope) {
        for (Stmt s : body) {
            Flow f = exec(s, scope);
            if (f != Flow.NORMAL) return f;
        }
        return Flow.NORMAL;
    }

    private Flow exec(Stmt stmt, Scope scope) {
        step(stmt.pos());
        try {
            return switch (stmt) {
                case Text t -> {
                    write(t.text());
                    yield Flow.NORMAL;
                }
                case Output o -> {
                    write(Py.str(eval(o.expr(), scope)));
                    yield Flow.NORMAL;
                }
                case If i -> {
                    for (int k = 0; k < i.tests().size(); k++) {
                        if (Py.truthy(eval(i.tests().get(k), scope))) yield exec(i.bodies().get(k), scope);
                    }
                    yield exec(i.otherwise(), scope);
                }
                case For f -> execFor(f, eval(f.iterable(), scope), scope, 0);
                case Set s -> {
                    assign(s.target(), eval(s.value(), scope), scope, s.pos());
                    yield Flow.NORMAL;
                }
                case SetBlock s -> {
                    // Jinja writes a block set inline: a break or continue inside leaves the loop before the assignment
                    Flow[] flow = {Flow.NORMAL};
                    Value v = new Str(capture(() -> flow[0] = exec(s.body(), frame(scope, s.body()))));
                    if (flow[0] != Flow.NORMAL) yield flow[0];
                    for (Filter f : s.filters()) v = applyFilter(f, v, scope);
                    charge(v);
                    assign(s.target(), v, scope, s.pos());
                    yield Flow.NORMAL;
                }
                case Macro m -> {
                    scope.vars.put(m.name(), macro(m.name(), m.params(), m.body(), scope));
                    yield Flow.NORMAL;
                }
                case CallBlock c -> {
                    Callable caller = macro("caller", c.callerParams(), c.body(), scope);
                    write(Py.str(call(c.call(), scope, caller)));
                    yield Flow.NORMAL;
                }
                case FilterBlock fb -> {
                    Flow[] flow = {Flow.NORMAL};
                    Value v = new Str(capture(() -> flow[0] = exec(fb.body(), frame(scope, fb.body()))));
                    if (flow[0] != Flow.NORMAL) yield flow[0];
                    for (Filter f : fb.filters()) v = applyFilter(f, v, scope);
                    write(Py.str(v));
                    yield Flow.NORMAL;
                }
                case With w -> {
                    Scope inner = frame(scope, w.body());
                    for (int k = 0; k < w.targets().size(); k++) {
                        assign(w.targets().get(k), eval(w.values().get(k), scope), inner, w.pos());
                    }
                    yield exec(w.body(), inner);
                }
                case Generation g -> {
                    // transformers' AssistantTracker: the block's text, placed at the length of the top-level output
                    // rendered so far (also when the block runs inside a macro whose result is not written yet)
                    Flow[] flow = {Flow.NORMAL};
                    String text = capture(() -> flow[0] = exec(g.body(), frame(scope, g.body())));
                    int start = root.length();
                    write(text);
                    generationSpans.add(new int[]{start, start + text.length()});
                    yield flow[0];
                }
                case Break b -> Flow.BREAK;
                case Continue c -> Flow.CONTINUE;
            };
        } catch (TemplateException e) {
            throw locate(e, stmt.pos());
        }
    }

    private Flow execFor(For f, Value iterable, Scope scope, int depth0) {
        if (!(iterable instanceof Undefined) && !Py.isIterable(iterable)) {
            throw TemplateException.typeError("'" + Py.typeName(iterable) + "' object is not iterable");
        }
        List<Value> items = Py.iterate(iterable);
        if (f.filter() != null) {
            List<Value> kept = new ArrayList<>();
            for (Value item : items) {
                step(f.pos());
                Scope probe = new Scope(scope);
                assign(f.target(), item, probe, f.pos());
                if (Py.truthy(eval(f.filter(), probe))) kept.add(item);
            }
            items = kept;
        }
        LoopContext loop = new LoopContext(items, depth0, f.recursive() ? child -> {
            enter(f.pos());
            try {
                return new Str(capture(() -> execFor(f, child, scope, depth0 + 1)));
            } finally {
                depth--;
            }
        } : null);
        // Jinja runs the else block unless some iteration's body ran to its end: a loop whose every iteration
        // ended in continue or break still takes the else branch.
        boolean completed = false;
        for (Value item : items) {
            step(f.pos());
            loop.advance();
            Scope iteration = frame(scope, f.body());
            assign(f.target(), item, iteration, f.pos());
            iteration.vars.put("loop", loop);
            Flow flow = exec(f.body(), iteration);
            if (flow == Flow.BREAK) break;
            if (flow == Flow.NORMAL) completed = true;
        }
        return completed ? Flow.NORMAL : exec(f.otherwise(), frame(scope, f.otherwise()));
    }

    private void enter(Pos pos) {
        if (++depth > limits.maxRecursionDepth()) {
            depth--;
            throw new TemplateException(Kind.LimitExceeded, "recursion deeper than " + limits.maxRecursionDepth()
                    + " calls", templateName, pos.line(), pos.column());
        }
    }

    private void assign(Target target, Value value, Scope scope, Pos pos) {
        switch (target) {
            case NameTarget n -> scope.vars.put(n.name(), value);
            case TupleTarget t -> {
                if (!(value instanceof Seq || value instanceof Str || value instanceof Dict)) {
                    throw TemplateException.typeError("cannot unpack non-iterable " + Py.typeName(value) + " object");
                }
                List<Value> items = Py.iterate(value);
                if (items.size() != t.items().size()) {
                    throw new TemplateException(Kind.ValueError, (items.size() > t.items().size() ? "too many values" :
                            "not enough values") + " to unpack (expected " + t.items().size() + ", got " + items.size() + ")");
                }
                for (int k = 0; k < items.size(); k++) assign(t.items().get(k), items.get(k), scope, pos);
            }
            case AttrTarget a -> {
                Value obj = scope.lookup(a.object());
                if (obj == null) obj = globals.get(a.object());
                if (!(obj instanceof Namespace ns)) {
                    throw new TemplateException(Kind.TypeError, "cannot assign attribute on non-namespace object '"
                            + a.object() + "'", templateName, a.pos().line(), a.pos().column());
                }
                ns.set(a.attr(), value);
            }
        }
    }

    /** A macro (or a call block's {@code caller}) as a callable closing over its defining scope. */
    private Callable macro(String name, List<Param> params, List<Stmt> body, Scope defining) {
        return new Callable(name, (args, kwargs) -> {
            Pos pos = body.isEmpty() ? new Pos(0, 0) : body.getFirst().pos();
            enter(pos);
            try {
                Scope scope = frame(defining, body);
                Map<String, Value> remaining = new LinkedHashMap<>(kwargs);
                Value caller = remaining.remove("caller");
                if (caller != null) scope.vars.put("caller", caller);
                for (int k = 0; k < params.size(); k++) {
                    Param p = params.get(k);
                    Value v;
                    if (k < args.size()) {
                        if (remaining.containsKey(p.name())) {
                            throw TemplateException.typeError("macro '" + name + "' got multiple values for argument '" + p.name() + "'");
                        }
                        v = args.get(k);
                    } else if (remaining.containsKey(p.name())) {
                        v = remaining.remove(p.name());
                    } else if (p.defaultValue() != null) {
                        v = eval(p.defaultValue(), scope);
                    } else {
                        v = new Undefined("parameter '" + p.name() + "' was not provided");
                    }
                    scope.vars.put(p.name(), v);
                }
                List<Value> extra = args.size() > params.size() ? args.subList(params.size(), args.size()) : List.of();
                scope.vars.put("varargs", new Seq(new ArrayList<>(extra), true));
                LinkedHashMap<Value, Value> kw = new LinkedHashMap<>();
                remaining.forEach((k, v) -> kw.put(new Str(k), v));
                scope.vars.put("kwargs", new Dict(kw));
                return new Str(capture(() -> exec(body, scope)));
            } finally {
                depth--;
            }
        });
    }

    // ------------------------------------------------------------------ expressions

    Value eval(Expr expr, Scope scope) {
        try {
            Value v = evalUnlocated(expr, scope);
            if (expr instanceof Call || expr instanceof Filter || expr instanceof Binary || expr instanceof GetItem
                    || expr instanceof ListLiteral || expr instanceof DictLiteral) {
                charge(v);
            }
            return v;
        } catch (TemplateException e) {
            throw locate(e, expr.pos());
        }
    }

    private Value evalUnlocated(Expr expr, Scope scope) {
        return switch (expr) {
            case Literal l -> l.value();
            case Name n -> lookup(n.name(), scope);
            case ListLiteral l -> {
                List<Value> items = new ArrayList<>(l.items().size());
                for (Expr e : l.items()) items.add(eval(e, scope));
                yield Seq.list(items);
            }
            case TupleLiteral t -> {
                List<Value> items = new ArrayList<>(t.items().size());
                for (Expr e : t.items()) items.add(eval(e, scope));
                yield new Seq(items, true);
            }
            case DictLiteral d -> {
                LinkedHashMap<Value, Value> map = new LinkedHashMap<>();
                for (int k = 0; k < d.keys().size(); k++) {
                    Value key = eval(d.keys().get(k), scope);
                    if (key instanceof Seq s && !s.tuple() || key instanceof Dict || key instanceof Undefined) {
                        throw TemplateException.typeError("unhashable type: '" + Py.typeName(key) + "'");
                    }
                    Value value = eval(d.values().get(k), scope);
                    if (Py.isNumber(key)) {
                        // 1, 1.0 and True are one key in Python: the first spelling stays, the last value wins
                        for (Value existing : map.keySet()) {
                            if (Py.isNumber(existing) && Py.eq(existing, key)) {
                                key = existing;
                                break;
                            }
                        }
                    }
                    map.put(key, value);
                }
                yield new Dict(map);
            }
            case GetAttr g -> getAttr(eval(g.object(), scope), g.name());
            case GetItem g -> {
                Value obj = eval(g.object(), scope);
                if (g.index() instanceof Slice s) yield slice(obj, s, scope);
                yield getItem(obj, eval(g.index(), scope));
            }
            case Slice s -> throw TemplateException.typeError("a slice is only valid inside []");
            case Call c -> call(c, scope, null);
            case Filter f -> applyFilter(f, eval(f.value(), scope), scope);
            case Test t -> {
                Value v = eval(t.value(), scope);
                List<Value> args = evalArgs(t.args(), scope);
                yield Value.Bool.of(tests.apply(t.name(), v, args, evalKwargs(t.kwargs(), scope)));
            }
            case Unary u -> unary(u.op(), eval(u.operand(), scope));
            case Binary b -> binary(b, scope);
            case Compare c -> {
                Value left = eval(c.first(), scope);
                for (int k = 0; k < c.ops().size(); k++) {
                    Value right = eval(c.operands().get(k), scope);
                    if (!compare(c.ops().get(k), left, right)) yield Value.FALSE;
                    left = right;
                }
                yield Value.TRUE;
            }
            case Conditional c -> Py.truthy(eval(c.test(), scope)) ? eval(c.then(), scope)
                    : c.otherwise() != null ? eval(c.otherwise(), scope)
                    : new Undefined("the inline if-expression on line " + c.pos().line() + " evaluated to false and no else section was defined.");
        };
    }

    private Value lookup(String name, Scope scope) {
        Value v = scope.lookup(name);
        if (v == null) v = globals.get(name);
        return v != null ? v : new Undefined("'" + name + "' is undefined");
    }

    private List<Value> evalArgs(List<Expr> args, Scope scope) {
        List<Value> out = new ArrayList<>(args.size());
        for (Expr e : args) out.add(eval(e, scope));
        return out;
    }

    private Map<String, Value> evalKwargs(List<Keyword> kwargs, Scope scope) {
        if (kwargs.isEmpty()) return Map.of();
        Map<String, Value> out = new LinkedHashMap<>();
        for (Keyword k : kwargs) out.put(k.name(), eval(k.value(), scope));
        return out;
    }

    private Value applyFilter(Filter f, Value value, Scope scope) {
        return filters.apply(f.name(), value, evalArgs(f.args(), scope), evalKwargs(f.kwargs(), scope));
    }

    private Value call(Call c, Scope scope, Callable caller) {
        step(c.pos());
        Value callee = eval(c.callee(), scope);
        List<Value> args = evalArgs(c.args(), scope);
        if (c.starArgs() != null) args.addAll(Py.iterate(eval(c.starArgs(), scope)));
        Map<String, Value> kwargs = new LinkedHashMap<>(evalKwargs(c.kwargs(), scope));
        if (c.starKwargs() != null) {
            Value kw = eval(c.starKwargs(), scope);
            if (!(kw instanceof Dict d)) throw TemplateException.typeError("argument after ** must be a mapping, not " + Py.typeName(kw));
            d.map().forEach((k, v) -> kwargs.put(Py.str(k), v));
        }
        if (caller != null) kwargs.put("caller", caller);
        return callValue(callee, args, kwargs);
    }

    Value callValue(Value callee, List<Value> args, Map<String, Value> kwargs) {
        return switch (callee) {
            case Callable fn -> fn.call(args, kwargs);
            case LoopContext loop -> {
                if (args.size() != 1) throw TemplateException.typeError("loop() takes exactly one argument");
                yield loop.recurse(args.getFirst());
            }
            case Undefined u -> throw TemplateException.undefined(u.hint());
            default -> throw TemplateException.typeError("'" + Py.typeName(callee) + "' object is not callable");
        };
    }

    // ------------------------------------------------------------------ attribute and item access

    /** Jinja's {@code obj.name}: a safe method or attribute first, then the item {@code obj['name']}. */
    Value getAttr(Value obj, String name) {
        return getAttr(obj, name, true);
    }

    /** {@code itemFallback} false is Python's plain {@code getattr} (the {@code attr} filter): no dict-key lookup. */
    Value getAttr(Value obj, String name, boolean itemFallback) {
        if (obj instanceof Undefined u) throw TemplateException.undefined(u.hint());
        if (name.startsWith("__")) {
            throw new TemplateException(Kind.SecurityError, "access to attribute '" + name + "' of '" + Py.typeName(obj)
                    + "' object is unsafe");
        }
        switch (obj) {
            case Namespace ns -> {
                Value v = ns.get(name);
                return v != null ? v : new Undefined("'Namespace object' has no attribute '" + name + "'");
            }
            case LoopContext loop -> {
                Value v = loop.attribute(name);
                return v != null ? v : new Undefined("'LoopContext object' has no attribute '" + name + "'");
            }
            default -> { }
        }
        Value method = Methods.bind(this, obj, name);
        if (method != null) return method;
        if (itemFallback && obj instanceof Dict d) {
            Value v = Py.dictGet(d, new Str(name));
            if (v != null) return v;
        }
        return new Undefined(noAttribute(obj, name));
    }

    static String noAttribute(Value obj, String name) {
        String type = obj instanceof Value.None ? "None" : Py.typeName(obj) + " object";
        return "'" + type + "' has no attribute '" + name + "'";
    }

    /** Jinja's {@code obj[key]}: the item first, then (for a string key) the attribute; missing → undefined. */
    Value getItem(Value obj, Value key) {
        if (obj instanceof Undefined u) throw TemplateException.undefined(u.hint());
        switch (obj) {
            case Dict d -> {
                Value v = Py.dictGet(d, key);
                if (v != null) return v;
            }
            case Seq s when key instanceof Int || key instanceof Value.Bool -> {
                int n = s.items().size();
                long idx = Py.toBigInt(key).max(BigInteger.valueOf(-n - 1L)).min(BigInteger.valueOf(n)).longValue();
                if (idx < 0) idx += n;
                if (idx >= 0 && idx < n) return s.items().get((int) idx);
                return new Undefined(Py.typeName(obj) + " index out of range");
            }
            case Str s when key instanceof Int || key instanceof Value.Bool -> {
                int[] cps = Py.codePoints(s.s());
                long idx = Py.toBigInt(key).max(BigInteger.valueOf(-cps.length - 1L)).min(BigInteger.valueOf(cps.length)).longValue();
                if (idx < 0) idx += cps.length;
                if (idx >= 0 && idx < cps.length) return new Str(Character.toString(cps[(int) idx]));
                return new Undefined("string index out of range");
            }
            default -> { }
        }
        if (key instanceof Str k) {
            if (obj instanceof Dict) {
                if (k.s().startsWith("__")) return new Undefined(noAttribute(obj, k.s()));
                Value method = Methods.bind(this, obj, k.s());
                return method != null ? method : new Undefined(noAttribute(obj, k.s()));
            }
            return getAttr(obj, k.s());
        }
        return new Undefined("'" + Py.typeName(obj) + " object' has no attribute " + Py.repr(key));
    }

    private Value slice(Value obj, Slice s, Scope scope) {
        Value start = s.start() == null ? Value.NONE : eval(s.start(), scope);
        Value stop = s.stop() == null ? Value.NONE : eval(s.stop(), scope);
        Value step = s.step() == null ? Value.NONE : eval(s.step(), scope);
        return sliceValue(obj, start, stop, step);
    }

    static Value sliceValue(Value obj, Value start, Value stop, Value step) {
        if (obj instanceof Undefined u) throw TemplateException.undefined(u.hint());
        int n;
        int[] cps = null;
        List<Value> items = null;
        switch (obj) {
            case Str s -> {
                cps = Py.codePoints(s.s());
                n = cps.length;
            }
            case Seq s -> {
                items = s.items();
                n = items.size();
            }
            // slices bypass Jinja's forgiving getitem, so Python's TypeError surfaces
            case Dict d -> throw TemplateException.typeError("unhashable type: 'slice'");
            default -> throw TemplateException.typeError("'" + Py.typeName(obj) + "' object is not subscriptable");
        }
        int st = step instanceof Value.None ? 1 : Py.toIndex(step, "slice step");
        if (st == 0) throw new TemplateException(Kind.ValueError, "slice step cannot be zero");
        int lo, hi;
        if (st > 0) {
            lo = start instanceof Value.None ? 0 : clampIndex(Py.toIndex(start, "slice index"), n, 0, n);
            hi = stop instanceof Value.None ? n : clampIndex(Py.toIndex(stop, "slice index"), n, 0, n);
        } else {
            lo = start instanceof Value.None ? n - 1 : clampIndex(Py.toIndex(start, "slice index"), n, -1, n - 1);
            hi = stop instanceof Value.None ? -1 : clampIndex(Py.toIndex(stop, "slice index"), n, -1, n - 1);
        }
        List<Integer> picked = new ArrayList<>();
        if (st > 0) for (int k = lo; k < hi; k += st) picked.add(k);
        else for (int k = lo; k > hi; k += st) picked.add(k);
        if (cps != null) {
            StringBuilder sb = new StringBuilder();
            for (int k : picked) sb.appendCodePoint(cps[k]);
            return new Str(sb.toString());
        }
        List<Value> out = new ArrayList<>(picked.size());
        for (int k : picked) out.add(items.get(k));
        return new Seq(out, ((Seq) obj).tuple());
    }

    private static int clampIndex(int idx, int n, int min, int max) {
        long i = idx;
        if (i < 0) i += n;
        return (int) Math.max(min, Math.min(max, i));
    }

    // ------------------------------------------------------------------ operators

    private Value unary(String op, Value v) {
        if (op.equals("not")) return Value.Bool.of(!Py.truthy(v));
        if (v instanceof Undefined u) throw TemplateException.undefined(u.hint());
        return switch (v) {
            case Int i -> op.equals("-") ? new Int(i.v().negate()) : i;
            case Value.Bool b -> Int.of(op.equals("-") ? -(b.value() ? 1 : 0) : (b.value() ? 1 : 0));
            case Float f -> new Float(op.equals("-") ? -f.v() : f.v());
            default -> throw TemplateException.typeError("bad operand type for unary " + op + ": '" + Py.typeName(v) + "'");
        };
    }

    private Value binary(Binary b, Scope scope) {
        switch (b.op()) {
            case "and" -> {
                Value left = eval(b.left(), scope);
                return Py.truthy(left) ? eval(b.right(), scope) : left;
            }
            case "or" -> {
                Value left = eval(b.left(), scope);
                return Py.truthy(left) ? left : eval(b.right(), scope);
            }
            case "~" -> {
                String l = Py.str(eval(b.left(), scope));
                String r = Py.str(eval(b.right(), scope));
                checkLength((long) l.length() + r.length());
                return new Str(l + r);
            }
            default -> {
                return Ops.arithmetic(this, b.op(), eval(b.left(), scope), eval(b.right(), scope));
            }
        }
    }

    private boolean compare(String op, Value l, Value r) {
        return switch (op) {
            case "==" -> Py.eq(l, r);
            case "!=" -> !Py.eq(l, r);
            case "in" -> Py.contains(r, l);
            case "notin" -> !Py.contains(r, l);
            default -> {
                if (l instanceof Undefined u) throw TemplateException.undefined(u.hint());
                if (r instanceof Undefined u) throw TemplateException.undefined(u.hint());
                int c = Py.compare(l, r, op);
                if (c == 2) yield false; // NaN: every ordering is false
                yield switch (op) {
                    case "<" -> c < 0;
                    case "<=" -> c <= 0;
                    case ">" -> c > 0;
                    default -> c >= 0;
                };
            }
        };
    }
}
