package dev.jllm.text.jinja;

import dev.jllm.text.jinja.Node.*;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Jinja2's static scoping, so that reads before an assignment see what Jinja shows them.
 *
 * <p>Jinja compiles each scope ("frame": the template, a loop body, a loop's else, a macro or call body, a block
 * set, a filter block, a with block) to Python locals. A name that the frame assigns, and that the frame meets
 * first as an assignment (in Jinja's analysis order) with no enclosing frame knowing it, starts the frame as
 * undefined — it hides a template variable or global of the same name, even where read from a nested frame before
 * the assignment runs. This class finds those names per frame; the interpreter binds them to undefined when it
 * enters the frame. Every other read follows the scope chain, which gives what Jinja's aliases and context lookups
 * give. The analysis follows jinja2/idtracking.py (Jinja 3.1), including how {@code if} branches merge.
 */
final class FrameAnalysis {

    private enum Load { RESOLVE, ALIAS, UNDEFINED, PARAMETER }

    /** One frame's symbol table (Jinja's {@code Symbols}). */
    private static final class Symbols {
        final Symbols parent;
        Map<String, Load> refs = new HashMap<>();
        Set<String> stores = new HashSet<>();

        Symbols(Symbols parent) {
            this.parent = parent;
        }

        Symbols copy() {
            Symbols s = new Symbols(parent);
            s.refs = new HashMap<>(refs);
            s.stores = new HashSet<>(stores);
            return s;
        }

        boolean hasRef(String name) {
            for (Symbols s = this; s != null; s = s.parent) if (s.refs.containsKey(name)) return true;
            return false;
        }

        void load(String name) {
            if (!hasRef(name)) refs.put(name, Load.RESOLVE);
        }

        void store(String name) {
            stores.add(name);
            if (!refs.containsKey(name)) {
                refs.put(name, parent != null && parent.hasRef(name) ? Load.ALIAS : Load.UNDEFINED);
            }
        }

        void parameter(String name) {
            stores.add(name);
            refs.put(name, Load.PARAMETER);
        }

        /** After an if: a name first assigned inside a branch may not be assigned at all, so it is looked up. */
        void branchUpdate(List<Symbols> branches) {
            Set<String> branchStores = new HashSet<>();
            for (Symbols b : branches) branchStores.addAll(b.stores);
            branchStores.removeAll(stores);
            for (Symbols b : branches) {
                refs.putAll(b.refs);
                stores.addAll(b.stores);
            }
            for (String name : branchStores) {
                refs.put(name, parent != null && parent.hasRef(name) ? Load.ALIAS : Load.RESOLVE);
            }
        }

        Set<String> undefinedAtEntry() {
            Set<String> out = new HashSet<>();
            refs.forEach((name, load) -> {
                if (load == Load.UNDEFINED) out.add(name);
            });
            return out;
        }
    }

    private final Map<Object, Set<String>> undefinedByFrame = new IdentityHashMap<>();

    private FrameAnalysis() {}

    /** Names each frame starts with as undefined, keyed by the frame's body list (identity). */
    static Map<Object, Set<String>> analyze(List<Stmt> template) {
        FrameAnalysis a = new FrameAnalysis();
        a.frame(template, List.of(), null);
        return Collections.unmodifiableMap(a.undefinedByFrame);
    }

    private void frame(List<Stmt> body, List<String> parameters, Symbols parent) {
        frame(body, parameters, List.of(), parent);
    }

    /** Analyzes one frame (parameters, then what they default to, then its body), records it, then its children. */
    private void frame(List<Stmt> body, List<String> parameters, List<Expr> defaults, Symbols parent) {
        Symbols s = new Symbols(parent);
        for (String p : parameters) s.parameter(p);
        for (Expr d : defaults) loads(d, s);
        for (Stmt st : body) visit(st, s);
        Set<String> undefined = s.undefinedAtEntry();
        if (!undefined.isEmpty()) undefinedByFrame.put(body, undefined);
        nested(body, s);
    }

    private void nested(List<Stmt> body, Symbols s) {
        for (Stmt st : body) {
            switch (st) {
                case If i -> {
                    for (List<Stmt> b : i.bodies()) nested(b, s);
                    nested(i.otherwise(), s);
                }
                case For f -> {
                    List<String> params = new ArrayList<>(targetNames(f.target()));
                    params.add("loop");
                    frame(f.body(), params, s);
                    frame(f.otherwise(), List.of(), s);
                }
                case Macro m -> frame(m.body(), macroParameters(m.params()), defaults(m.params()), s);
                case CallBlock c -> frame(c.body(), macroParameters(c.callerParams()), defaults(c.callerParams()), s);
                case SetBlock b -> frame(b.body(), List.of(), s);
                case FilterBlock fb -> frame(fb.body(), List.of(), s);
                case With w -> {
                    List<String> params = new ArrayList<>();
                    for (Target t : w.targets()) params.addAll(targetNames(t));
                    frame(w.body(), params, s);
                }
                case Generation g -> frame(g.body(), List.of(), s);
                default -> { }
            }
        }
    }

    private static List<String> macroParameters(List<Param> params) {
        List<String> names = new ArrayList<>();
        for (Param p : params) names.add(p.name());
        names.addAll(List.of("varargs", "kwargs", "caller"));
        return names;
    }

    private static List<Expr> defaults(List<Param> params) {
        List<Expr> out = new ArrayList<>();
        for (Param p : params) if (p.defaultValue() != null) out.add(p.defaultValue());
        return out;
    }

    private static List<String> targetNames(Target t) {
        List<String> out = new ArrayList<>();
        switch (t) {
            case NameTarget n -> out.add(n.name());
            case TupleTarget tt -> {
                for (Target x : tt.items()) out.addAll(targetNames(x));
            }
            case AttrTarget a -> { }
        }
        return out;
    }

    /** Jinja's FrameSymbolVisitor: what a statement loads and stores in the frame that contains it. */
    private void visit(Stmt st, Symbols s) {
        switch (st) {
            case Text t -> { }
            case Output o -> loads(o.expr(), s);
            case If i -> visitIf(i.tests(), i.bodies(), i.otherwise(), 0, s);
            case For f -> loads(f.iterable(), s);
            case Node.Set set -> {
                loads(set.value(), s);
                store(set.target(), s);
            }
            case SetBlock b -> store(b.target(), s);
            case Macro m -> s.store(m.name());
            case CallBlock c -> loads(c.call(), s);
            case FilterBlock fb -> {
                for (Filter f : fb.filters()) loads(f, s);
            }
            case With w -> {
                for (Expr e : w.values()) loads(e, s);
            }
            case Generation g -> { }
            case Break b -> { }
            case Continue c -> { }
        }
    }

    /** An if with its elifs as nested ifs, as Jinja represents them; each merges three branches. */
    private void visitIf(List<Expr> tests, List<List<Stmt>> bodies, List<Stmt> otherwise, int k, Symbols s) {
        loads(tests.get(k), s);
        Symbols body = s.copy();
        for (Stmt st : bodies.get(k)) visit(st, body);
        Symbols elifs = s.copy();
        if (k == 0) for (int e = 1; e < tests.size(); e++) visitIf(tests, bodies, List.of(), e, elifs);
        Symbols orElse = s.copy();
        if (k == 0) for (Stmt st : otherwise) visit(st, orElse);
        s.branchUpdate(List.of(body, elifs, orElse));
    }

    private static void store(Target t, Symbols s) {
        switch (t) {
            case NameTarget n -> s.store(n.name());
            case TupleTarget tt -> {
                for (Target x : tt.items()) store(x, s);
            }
            case AttrTarget a -> s.load(a.object());
        }
    }

    /** Every name an expression reads, in source order. */
    private static void loads(Expr e, Symbols s) {
        if (e == null) return;
        switch (e) {
            case Literal l -> { }
            case Name n -> s.load(n.name());
            case ListLiteral l -> l.items().forEach(x -> loads(x, s));
            case TupleLiteral t -> t.items().forEach(x -> loads(x, s));
            case DictLiteral d -> {
                for (int k = 0; k < d.keys().size(); k++) {
                    loads(d.keys().get(k), s);
                    loads(d.values().get(k), s);
                }
            }
            case GetAttr g -> loads(g.object(), s);
            case GetItem g -> {
                loads(g.object(), s);
                loads(g.index(), s);
            }
            case Slice sl -> {
                loads(sl.start(), s);
                loads(sl.stop(), s);
                loads(sl.step(), s);
            }
            case Call c -> {
                loads(c.callee(), s);
                c.args().forEach(x -> loads(x, s));
                c.kwargs().forEach(k -> loads(k.value(), s));
                loads(c.starArgs(), s);
                loads(c.starKwargs(), s);
            }
            case Filter f -> {
                loads(f.value(), s);
                f.args().forEach(x -> loads(x, s));
                f.kwargs().forEach(k -> loads(k.value(), s));
            }
            case Test t -> {
                loads(t.value(), s);
                t.args().forEach(x -> loads(x, s));
                t.kwargs().forEach(k -> loads(k.value(), s));
            }
            case Unary u -> loads(u.operand(), s);
            case Binary b -> {
                loads(b.left(), s);
                loads(b.right(), s);
            }
            case Compare c -> {
                loads(c.first(), s);
                c.operands().forEach(x -> loads(x, s));
            }
            case Conditional c -> {
                // Jinja's CondExpr fields are (test, expr1, expr2), visited in that order
                loads(c.test(), s);
                loads(c.then(), s);
                loads(c.otherwise(), s);
            }
        }
    }
}
