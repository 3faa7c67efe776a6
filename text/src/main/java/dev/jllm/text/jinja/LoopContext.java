package dev.jllm.text.jinja;

import java.util.List;
import java.util.function.Function;

/** Jinja's {@code loop} variable inside a {@code for} block. */
public final class LoopContext implements Value {
    private final List<Value> items;
    private final int depth0;
    /** Renders the loop body again for {@code loop(children)} in a {@code recursive} loop; null otherwise. */
    private final Function<Value, Value> recurse;
    private int index0 = -1;
    private Value lastChanged;

    LoopContext(List<Value> items, int depth0, Function<Value, Value> recurse) {
        this.items = items;
        this.depth0 = depth0;
        this.recurse = recurse;
    }

    void advance() {
        index0++;
    }

    public int index() {
        return index0 + 1;
    }

    public int length() {
        return items.size();
    }

    boolean recursive() {
        return recurse != null;
    }

    Value recurse(Value iterable) {
        if (recurse == null) throw TemplateException.typeError("the loop is not recursive; declare it 'recursive' to call loop()");
        return recurse.apply(iterable);
    }

    /** The attribute {@code loop.name}, or null when the loop has none. */
    Value attribute(String name) {
        int n = items.size();
        return switch (name) {
            case "index" -> Value.Int.of(index0 + 1);
            case "index0" -> Value.Int.of(index0);
            case "revindex" -> Value.Int.of(n - index0);
            case "revindex0" -> Value.Int.of(n - index0 - 1);
            case "first" -> Value.Bool.of(index0 == 0);
            case "last" -> Value.Bool.of(index0 == n - 1);
            case "length" -> Value.Int.of(n);
            case "depth" -> Value.Int.of(depth0 + 1);
            case "depth0" -> Value.Int.of(depth0);
            case "previtem" -> index0 > 0 ? items.get(index0 - 1) : new Value.Undefined("there is no previous item");
            case "nextitem" -> index0 + 1 < n ? items.get(index0 + 1) : new Value.Undefined("there is no next item");
            case "cycle" -> new Value.Callable("loop.cycle", (args, kwargs) -> {
                if (args.isEmpty()) throw TemplateException.typeError("no items for cycling given");
                return args.get(index0 % args.size());
            });
            case "changed" -> new Value.Callable("loop.changed", (args, kwargs) -> {
                Value now = Value.Seq.list(args);
                if (lastChanged == null || !Py.eq(lastChanged, now)) {
                    lastChanged = now;
                    return Value.TRUE;
                }
                return Value.FALSE;
            });
            default -> null;
        };
    }
}
