package dev.jllm.text.jinja;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Python value as a chat template sees it. Templates only ever see these types, never Java objects: this is what
 * keeps the sandbox closed (there is no path from a value to a class, a file or reflection).
 *
 * <p>Lists, tuples and dicts are immutable, as in transformers' {@code ImmutableSandboxedEnvironment}; the only
 * mutable value is {@link Namespace}, whose attributes {@code {% set ns.x = ... %}} may assign.
 */
public sealed interface Value permits Value.Str, Value.Int, Value.Float, Value.Bool, Value.None, Value.Seq,
        Value.Dict, Value.Undefined, Value.Callable, Value.Namespace, LoopContext {

    /** Python {@code str}; Java strings hold UTF-16, Python indexes code points, so index through {@link Py}. */
    record Str(String s) implements Value {
        public static final Str EMPTY = new Str("");
    }

    /** Python {@code int}: arbitrary precision, as in Python. */
    record Int(BigInteger v) implements Value {
        public static final Int ZERO = new Int(BigInteger.ZERO);
        public static final Int ONE = new Int(BigInteger.ONE);

        public static Int of(long v) {
            return new Int(BigInteger.valueOf(v));
        }
    }

    /** Python {@code float} (IEEE double). */
    record Float(double v) implements Value {}

    /** Python {@code bool}; a subclass of int in Python, so arithmetic and equality treat it as 0/1. */
    enum Bool implements Value {
        TRUE, FALSE;

        public static Bool of(boolean b) {
            return b ? TRUE : FALSE;
        }

        public boolean value() {
            return this == TRUE;
        }
    }

    /** Python {@code None}. */
    enum None implements Value { NONE }

    /** Python {@code list} or {@code tuple} (they differ only in how they print). */
    record Seq(List<Value> items, boolean tuple) implements Value {
        public Seq {
            items = Collections.unmodifiableList(items);
        }

        public static Seq list(List<Value> items) {
            return new Seq(items, false);
        }

        public static Seq tuple(Value... items) {
            return new Seq(List.of(items), true);
        }
    }

    /** Python {@code dict}, preserving insertion order. */
    record Dict(Map<Value, Value> map) implements Value {
        public Dict {
            map = Collections.unmodifiableMap(map);
        }

        public static Dict of(LinkedHashMap<Value, Value> map) {
            return new Dict(map);
        }

        public Value get(String key) {
            return map.get(new Str(key));
        }
    }

    /**
     * Jinja's default {@code Undefined}: prints as empty, is falsy, iterates as empty; any other use fails with
     * {@code hint} (e.g. {@code 'foo' is undefined} or {@code 'dict object' has no attribute 'x'}).
     */
    record Undefined(String hint) implements Value {}

    /** A function, macro or bound method a template may call. */
    final class Callable implements Value {
        /** The body of a callable: positional and keyword arguments in, a value out. */
        @FunctionalInterface
        public interface Body {
            Value call(List<Value> args, Map<String, Value> kwargs);
        }

        private final String name;
        private final Body body;

        public Callable(String name, Body body) {
            this.name = name;
            this.body = body;
        }

        public String name() {
            return name;
        }

        public Value call(List<Value> args, Map<String, Value> kwargs) {
            return body.call(args, kwargs);
        }
    }

    /** Jinja's {@code namespace()}: the one object whose attributes a template may assign, across scopes. */
    final class Namespace implements Value {
        private final LinkedHashMap<String, Value> attributes = new LinkedHashMap<>();

        public Namespace(Map<String, Value> initial) {
            attributes.putAll(initial);
        }

        public Value get(String name) {
            return attributes.get(name);
        }

        public void set(String name, Value value) {
            attributes.put(name, value);
        }

        public Map<String, Value> attributes() {
            return Collections.unmodifiableMap(attributes);
        }
    }

    Value TRUE = Bool.TRUE;
    Value FALSE = Bool.FALSE;
    Value NONE = None.NONE;

    static Str str(String s) {
        return new Str(s);
    }

    static Seq list(List<Value> items) {
        return Seq.list(new ArrayList<>(items));
    }
}
