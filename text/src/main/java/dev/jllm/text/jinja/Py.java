package dev.jllm.text.jinja;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.text.jinja.TemplateException.Kind;
import dev.jllm.text.jinja.Value.Bool;
import dev.jllm.text.jinja.Value.Callable;
import dev.jllm.text.jinja.Value.Dict;
import dev.jllm.text.jinja.Value.Float;
import dev.jllm.text.jinja.Value.Int;
import dev.jllm.text.jinja.Value.Namespace;
import dev.jllm.text.jinja.Value.None;
import dev.jllm.text.jinja.Value.Seq;
import dev.jllm.text.jinja.Value.Str;
import dev.jllm.text.jinja.Value.Undefined;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Python semantics for {@link Value}s: truthiness, str/repr, equality, ordering, arithmetic, conversions. */
public final class Py {
    private Py() {}

    /** Values bigger than this many bits are refused, so {@code 2 ** 10 ** 9} cannot eat the heap. */
    static final int MAX_INT_BITS = 1 << 16;
    /** Iterating a string makes one value per character; longer strings are refused rather than exhausting memory. */
    static final int MAX_ITERATED_STRING = 1 << 20;

    // ---------------------------------------------------------------- conversions from Java

    /** Converts plain Java data (String, Number, Boolean, null, Map, List, arrays, Jackson nodes, Values). */
    public static Value of(Object o) {
        return switch (o) {
            case null -> Value.NONE;
            case Value v -> v;
            case String s -> new Str(s);
            case Boolean b -> Bool.of(b);
            case Integer i -> Int.of(i);
            case Long l -> Int.of(l);
            case Short s -> Int.of(s);
            case Byte b -> Int.of(b);
            case BigInteger b -> new Int(b);
            case Double d -> new Float(d);
            case java.lang.Float f -> new Float(f);
            case BigDecimal b -> new Float(b.doubleValue());
            case JsonNode n -> ofJson(n);
            case Map<?, ?> m -> {
                LinkedHashMap<Value, Value> map = new LinkedHashMap<>();
                m.forEach((k, v) -> map.put(of(k), of(v)));
                yield new Dict(map);
            }
            case List<?> l -> {
                List<Value> items = new ArrayList<>(l.size());
                for (Object x : l) items.add(of(x));
                yield Seq.list(items);
            }
            case Object[] a -> of(List.of(a));
            case int[] a -> {
                List<Value> items = new ArrayList<>(a.length);
                for (int x : a) items.add(Int.of(x));
                yield Seq.list(items);
            }
            case long[] a -> {
                List<Value> items = new ArrayList<>(a.length);
                for (long x : a) items.add(Int.of(x));
                yield Seq.list(items);
            }
            default -> throw new IllegalArgumentException("cannot pass a " + o.getClass().getName() + " to a template");
        };
    }

    /** JSON as Python's {@code json.loads} reads it (object key order kept, integers exact). */
    public static Value ofJson(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) return Value.NONE;
        if (n.isTextual()) return new Str(n.textValue());
        if (n.isBoolean()) return Bool.of(n.booleanValue());
        if (n.isIntegralNumber()) return new Int(n.bigIntegerValue());
        if (n.isNumber()) return new Float(n.doubleValue());
        if (n.isArray()) {
            List<Value> items = new ArrayList<>(n.size());
            for (JsonNode x : n) items.add(ofJson(x));
            return Seq.list(items);
        }
        if (n.isObject()) {
            LinkedHashMap<Value, Value> map = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> e : n.properties()) map.put(new Str(e.getKey()), ofJson(e.getValue()));
            return new Dict(map);
        }
        throw new IllegalArgumentException("unsupported JSON node " + n.getNodeType());
    }

    // ---------------------------------------------------------------- type names and truthiness

    /** Python's {@code type(x).__name__}. */
    public static String typeName(Value v) {
        return switch (v) {
            case Str s -> "str";
            case Int i -> "int";
            case Float f -> "float";
            case Bool b -> "bool";
            case None n -> "NoneType";
            case Seq s -> s.tuple() ? "tuple" : "list";
            case Dict d -> "dict";
            case Undefined u -> "Undefined";
            case Callable c -> "function";
            case Namespace n -> "Namespace";
            case LoopContext l -> "LoopContext";
        };
    }

    public static boolean truthy(Value v) {
        return switch (v) {
            case Str s -> !s.s().isEmpty();
            case Int i -> i.v().signum() != 0;
            case Float f -> f.v() != 0.0;
            case Bool b -> b.value();
            case None n -> false;
            case Seq s -> !s.items().isEmpty();
            case Dict d -> !d.map().isEmpty();
            case Undefined u -> false;
            default -> true;
        };
    }

    static boolean isNumber(Value v) {
        return v instanceof Int || v instanceof Float || v instanceof Bool;
    }

    // ---------------------------------------------------------------- str and repr

    /** Python's {@code str(x)}; an undefined value prints as empty, as Jinja's default Undefined does. */
    public static String str(Value v) {
        return switch (v) {
            case Str s -> s.s();
            case Undefined u -> "";
            default -> repr(v);
        };
    }

    /** Python's {@code repr(x)}. */
    public static String repr(Value v) {
        StringBuilder sb = new StringBuilder();
        repr(v, sb);
        return sb.toString();
    }

    private static void repr(Value v, StringBuilder sb) {
        switch (v) {
            case Str s -> sb.append(reprString(s.s()));
            case Int i -> sb.append(i.v().toString());
            case Float f -> sb.append(floatRepr(f.v()));
            case Bool b -> sb.append(b.value() ? "True" : "False");
            case None n -> sb.append("None");
            case Seq s -> {
                sb.append(s.tuple() ? '(' : '[');
                for (int k = 0; k < s.items().size(); k++) {
                    if (k > 0) sb.append(", ");
                    repr(s.items().get(k), sb);
                }
                if (s.tuple() && s.items().size() == 1) sb.append(',');
                sb.append(s.tuple() ? ')' : ']');
            }
            case Dict d -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<Value, Value> e : d.map().entrySet()) {
                    if (!first) sb.append(", ");
                    first = false;
                    repr(e.getKey(), sb);
                    sb.append(": ");
                    repr(e.getValue(), sb);
                }
                sb.append('}');
            }
            case Undefined u -> sb.append("Undefined");
            case Callable c -> sb.append("<function ").append(c.name()).append('>');
            case Namespace n -> {
                sb.append("<Namespace {");
                boolean first = true;
                for (Map.Entry<String, Value> e : n.attributes().entrySet()) {
                    if (!first) sb.append(", ");
                    first = false;
                    sb.append(reprString(e.getKey())).append(": ");
                    repr(e.getValue(), sb);
                }
                sb.append("}>");
            }
            case LoopContext l -> sb.append("<LoopContext ").append(l.index()).append('/').append(l.length()).append('>');
        }
    }

    /** Python's string repr: single quotes unless the text has a single quote and no double quote. */
    public static String reprString(String s) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(quote);
        s.codePoints().forEach(cp -> {
            if (cp == quote || cp == '\\') sb.append('\\').appendCodePoint(cp);
            else if (cp == '\n') sb.append("\\n");
            else if (cp == '\r') sb.append("\\r");
            else if (cp == '\t') sb.append("\\t");
            else if (!isPrintable(cp)) {
                if (cp < 0x100) sb.append(String.format("\\x%02x", cp));
                else if (cp < 0x10000) sb.append(String.format("\\u%04x", cp));
                else sb.append(String.format("\\U%08x", cp));
            } else sb.appendCodePoint(cp);
        });
        return sb.append(quote).toString();
    }

    /** Python's {@code str.isprintable} for one code point. */
    static boolean isPrintable(int cp) {
        if (cp == ' ') return true;
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** Python's {@code repr(float)}: the shortest round-tripping digits, exponent form below 1e-4 or from 1e16. */
    public static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        // Double.toString gives the shortest decimal that round-trips (JDK 19+), the same digits Python picks.
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int n = digits.length();
        int decpt = n - bd.scale();
        StringBuilder sb = new StringBuilder();
        if (d < 0) sb.append('-');
        if (decpt <= -4 || decpt > 16) {
            sb.append(digits.charAt(0));
            if (n > 1) sb.append('.').append(digits, 1, n);
            int exp = decpt - 1;
            sb.append('e').append(exp < 0 ? '-' : '+');
            int a = Math.abs(exp);
            if (a < 10) sb.append('0');
            sb.append(a);
        } else if (decpt <= 0) {
            sb.append("0.").append("0".repeat(-decpt)).append(digits);
        } else if (decpt >= n) {
            sb.append(digits).append("0".repeat(decpt - n)).append(".0");
        } else {
            sb.append(digits, 0, decpt).append('.').append(digits, decpt, n);
        }
        return sb.toString();
    }

    // ---------------------------------------------------------------- code-point strings

    /** Python's {@code str.strip()} / {@code lstrip()} / {@code rstrip()} with Python's whitespace set. */
    public static String strip(String s, boolean left, boolean right) {
        return PyStr.strip(s, null, left, right);
    }

    static int[] codePoints(String s) {
        return s.codePoints().toArray();
    }

    static String fromCodePoints(int[] cps, int from, int to) {
        return new String(cps, from, to - from);
    }

    static int length(String s) {
        return s.codePointCount(0, s.length());
    }

    // ---------------------------------------------------------------- containers

    /** Python's {@code len(x)}; an undefined value has length 0. */
    public static int len(Value v) {
        return switch (v) {
            case Str s -> length(s.s());
            case Seq s -> s.items().size();
            case Dict d -> d.map().size();
            case Undefined u -> 0;
            case Namespace n -> throw TemplateException.typeError("object of type 'Namespace' has no len()");
            default -> throw TemplateException.typeError("object of type '" + typeName(v) + "' has no len()");
        };
    }

    /** The items of {@code for x in v}: characters of a string, elements of a list, keys of a dict. */
    public static List<Value> iterate(Value v) {
        return switch (v) {
            case Str s -> {
                if (s.s().length() > MAX_ITERATED_STRING) {
                    throw new TemplateException(Kind.LimitExceeded, "iterating over a string of " + s.s().length()
                            + " characters, more than " + MAX_ITERATED_STRING);
                }
                List<Value> chars = new ArrayList<>(s.s().length());
                s.s().codePoints().forEach(cp -> chars.add(new Str(Character.toString(cp))));
                yield chars;
            }
            case Seq s -> s.items();
            case Dict d -> new ArrayList<>(d.map().keySet());
            case Undefined u -> List.of();
            default -> throw TemplateException.typeError("'" + typeName(v) + "' object is not iterable");
        };
    }

    static boolean isIterable(Value v) {
        return v instanceof Str || v instanceof Seq || v instanceof Dict || v instanceof LoopContext;
    }

    /** Python's {@code needle in haystack}. */
    public static boolean contains(Value haystack, Value needle) {
        return switch (haystack) {
            case Str s -> {
                if (!(needle instanceof Str n)) {
                    throw TemplateException.typeError("'in <string>' requires string as left operand, not " + typeName(needle));
                }
                yield s.s().contains(n.s());
            }
            case Seq s -> {
                for (Value x : s.items()) if (eq(x, needle)) yield true;
                yield false;
            }
            case Dict d -> {
                if (!isHashable(needle)) throw TemplateException.typeError("unhashable type: '" + typeName(needle) + "'");
                yield dictGet(d, needle) != null;
            }
            case Undefined u -> false;
            default -> throw TemplateException.typeError("argument of type '" + typeName(haystack) + "' is not iterable");
        };
    }

    /** Python's hashability: immutable scalars and tuples of hashable values. */
    static boolean isHashable(Value v) {
        return switch (v) {
            case Str s -> true;
            case Int i -> true;
            case Float f -> true;
            case Bool b -> true;
            case None n -> true;
            case Seq s -> s.tuple() && s.items().stream().allMatch(Py::isHashable);
            default -> false;
        };
    }

    /** Normalizes a dict key so that 1, 1.0 and True find the same entry, as they do in Python. */
    static Value key(Value k) {
        if (k instanceof Bool b) return b.value() ? Int.ONE : Int.ZERO;
        if (k instanceof Float f && f.v() == Math.rint(f.v()) && !Double.isInfinite(f.v())) {
            return new Int(new BigDecimal(f.v()).toBigInteger());
        }
        return k;
    }

    static Value dictGet(Dict d, Value k) {
        Value v = d.map().get(k);
        if (v == null && (k instanceof Bool || k instanceof Float || k instanceof Int)) {
            Value nk = key(k);
            for (Map.Entry<Value, Value> e : d.map().entrySet()) if (eq(key(e.getKey()), nk)) return e.getValue();
        }
        return v;
    }

    // ---------------------------------------------------------------- equality and ordering

    /** Python's {@code ==}. */
    public static boolean eq(Value a, Value b) {
        if (a == b) return true;
        if (isNumber(a) && isNumber(b)) {
            if (a instanceof Float || b instanceof Float) return compareNumbers(a, b) == 0;
            return toBigInt(a).equals(toBigInt(b));
        }
        return switch (a) {
            case Str s -> b instanceof Str t && s.s().equals(t.s());
            case Seq s -> {
                if (!(b instanceof Seq t) || s.tuple() != t.tuple() || s.items().size() != t.items().size()) yield false;
                for (int i = 0; i < s.items().size(); i++) if (!eq(s.items().get(i), t.items().get(i))) yield false;
                yield true;
            }
            case Dict d -> {
                if (!(b instanceof Dict e) || d.map().size() != e.map().size()) yield false;
                for (Map.Entry<Value, Value> x : d.map().entrySet()) {
                    Value y = dictGet(e, x.getKey());
                    if (y == null || !eq(x.getValue(), y)) yield false;
                }
                yield true;
            }
            case None n -> b instanceof None;
            case Undefined u -> b instanceof Undefined;
            default -> false;
        };
    }

    /**
     * Python's ordering ({@code <} is {@code compare < 0}); TypeError between types Python cannot order; 2 when a
     * NaN makes the operands unordered.
     */
    public static int compare(Value a, Value b, String op) {
        if (isNumber(a) && isNumber(b)) return compareNumbers(a, b);
        if (a instanceof Str s && b instanceof Str t) return compareCodePoints(s.s(), t.s());
        if (a instanceof Seq s && b instanceof Seq t && s.tuple() == t.tuple()) {
            int n = Math.min(s.items().size(), t.items().size());
            for (int i = 0; i < n; i++) {
                Value x = s.items().get(i), y = t.items().get(i);
                if (!eq(x, y)) return compare(x, y, op);
            }
            return Integer.compare(s.items().size(), t.items().size());
        }
        throw TemplateException.typeError("'" + op + "' not supported between instances of '" + typeName(a)
                + "' and '" + typeName(b) + "'");
    }

    /**
     * Exact numeric comparison, as Python compares int with float (no rounding, no overflow); NaN compares as
     * unequal to everything (callers treat ordering with NaN as false).
     */
    static int compareNumbers(Value a, Value b) {
        if (!(a instanceof Float) && !(b instanceof Float)) return toBigInt(a).compareTo(toBigInt(b));
        if (a instanceof Float x && b instanceof Float y) {
            if (Double.isNaN(x.v()) || Double.isNaN(y.v())) return 2;
            return Double.compare(x.v() == 0 ? 0.0 : x.v(), y.v() == 0 ? 0.0 : y.v());
        }
        boolean floatFirst = a instanceof Float;
        double f = ((Float) (floatFirst ? a : b)).v();
        BigInteger i = toBigInt(floatFirst ? b : a);
        int c; // float compared with int
        if (Double.isNaN(f)) return 2;
        if (Double.isInfinite(f)) c = f > 0 ? 1 : -1;
        else c = new BigDecimal(f).compareTo(new BigDecimal(i));
        return floatFirst ? c : -c;
    }

    static int compareCodePoints(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int x = a.codePointAt(i), y = b.codePointAt(j);
            if (x != y) return Integer.compare(x, y);
            i += Character.charCount(x);
            j += Character.charCount(y);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    // ---------------------------------------------------------------- numbers

    static BigInteger toBigInt(Value v) {
        return switch (v) {
            case Int i -> i.v();
            case Bool b -> b.value() ? BigInteger.ONE : BigInteger.ZERO;
            default -> throw TemplateException.typeError("expected an integer, got '" + typeName(v) + "'");
        };
    }

    static double toDouble(Value v) {
        return switch (v) {
            case Float f -> f.v();
            case Int i -> {
                double d = i.v().doubleValue();
                if (Double.isInfinite(d)) throw new TemplateException(Kind.OverflowError, "int too large to convert to float");
                yield d;
            }
            case Bool b -> b.value() ? 1 : 0;
            default -> throw TemplateException.typeError("expected a number, got '" + typeName(v) + "'");
        };
    }

    /** An int argument as a Java int (indexes, counts), with a clear error when it is not one. */
    static int toIndex(Value v, String what) {
        if (!(v instanceof Int || v instanceof Bool)) {
            throw TemplateException.typeError(what + " must be an integer, not '" + typeName(v) + "'");
        }
        BigInteger b = toBigInt(v);
        if (b.bitLength() > 31) return b.signum() < 0 ? Integer.MIN_VALUE : Integer.MAX_VALUE;
        return b.intValue();
    }

    static Int checkedInt(BigInteger v) {
        if (v.bitLength() > MAX_INT_BITS) {
            throw new TemplateException(Kind.LimitExceeded, "integer result too large (more than " + MAX_INT_BITS + " bits)");
        }
        return new Int(v);
    }

    static Float checkedFloat(double v) {
        return new Float(v);
    }

    /** Python's true division of two ints, correctly rounded. */
    static double divide(BigInteger a, BigInteger b) {
        if (a.bitLength() <= 53 && b.bitLength() <= 53) return a.doubleValue() / b.doubleValue();
        return new BigDecimal(a).divide(new BigDecimal(b), MathContext.DECIMAL128).doubleValue();
    }

    /** Python's {@code round(x, ndigits)} for a float: exact, half to even on the binary value. */
    static double round(double x, int ndigits) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return x;
        return new BigDecimal(x).setScale(ndigits, RoundingMode.HALF_EVEN).doubleValue();
    }

    // ---------------------------------------------------------------- JSON (Python json.dumps)

    /**
     * Python's {@code json.dumps(v, ensure_ascii=False, indent=indent, separators=..., sort_keys=sortKeys)}, the
     * way transformers' {@code tojson} filter calls it. {@code indent} null means one line.
     */
    public static String toJson(Value v, String indent, String itemSeparator, String keySeparator, boolean sortKeys) {
        return toJson(v, indent, itemSeparator, keySeparator, sortKeys, false);
    }

    /** As above; {@code ensureAscii} escapes every character outside ' '..'~' in strings, as Python's default does. */
    public static String toJson(Value v, String indent, String itemSeparator, String keySeparator, boolean sortKeys,
                                boolean ensureAscii) {
        String itemSep = itemSeparator != null ? itemSeparator : (indent == null ? ", " : ",");
        String keySep = keySeparator != null ? keySeparator : ": ";
        StringBuilder sb = new StringBuilder();
        new JsonWriter(indent, itemSep, keySep, sortKeys, ensureAscii, sb).write(v, 0);
        return sb.toString();
    }

    /** Python's json encoder state for one dump. */
    private record JsonWriter(String indent, String itemSep, String keySep, boolean sortKeys, boolean ensureAscii,
                              StringBuilder sb) {

        void write(Value v, int level) {
            switch (v) {
                case Str s -> string(s.s());
                case Int i -> sb.append(i.v());
                case Float f -> {
                    double d = f.v();
                    if (Double.isNaN(d)) sb.append("NaN");
                    else if (Double.isInfinite(d)) sb.append(d > 0 ? "Infinity" : "-Infinity");
                    else sb.append(floatRepr(d));
                }
                case Bool b -> sb.append(b.value() ? "true" : "false");
                case None n -> sb.append("null");
                case Seq s -> {
                    if (s.items().isEmpty()) {
                        sb.append("[]");
                        return;
                    }
                    sb.append('[');
                    for (int k = 0; k < s.items().size(); k++) {
                        if (k > 0) sb.append(itemSep);
                        newline(level + 1);
                        write(s.items().get(k), level + 1);
                    }
                    newline(level);
                    sb.append(']');
                }
                case Dict d -> {
                    if (d.map().isEmpty()) {
                        sb.append("{}");
                        return;
                    }
                    List<Map.Entry<Value, Value>> entries = new ArrayList<>(d.map().entrySet());
                    if (sortKeys) entries.sort((x, y) -> compare(x.getKey(), y.getKey(), "<"));
                    sb.append('{');
                    boolean first = true;
                    for (Map.Entry<Value, Value> e : entries) {
                        if (!first) sb.append(itemSep);
                        first = false;
                        newline(level + 1);
                        string(jsonKey(e.getKey()));
                        sb.append(keySep);
                        write(e.getValue(), level + 1);
                    }
                    newline(level);
                    sb.append('}');
                }
                case Namespace n -> throw TemplateException.typeError("Object of type Namespace is not JSON serializable");
                default -> throw TemplateException.typeError("Object of type " + typeName(v) + " is not JSON serializable");
            }
        }

        static String jsonKey(Value k) {
            return switch (k) {
                case Str s -> s.s();
                case Int i -> i.v().toString();
                case Float f -> floatRepr(f.v());
                case Bool b -> b.value() ? "true" : "false";
                case None n -> "null";
                default -> throw TemplateException.typeError("keys must be str, int, float, bool or None, not " + typeName(k));
            };
        }

        void newline(int level) {
            if (indent == null) return;
            sb.append('\n');
            for (int i = 0; i < level; i++) sb.append(indent);
        }

        void string(String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\r' -> sb.append("\\r");
                    case '\t' -> sb.append("\\t");
                    case '\b' -> sb.append("\\b");
                    case '\f' -> sb.append("\\f");
                    default -> {
                        if (c < 0x20 || (ensureAscii && c > 0x7e)) sb.append(String.format("\\u%04x", (int) c));
                        else sb.append(c);
                    }
                }
            }
            sb.append('"');
        }
    }

    /** An iterator-free view of a dict's items as Python tuples. */
    static List<Value> items(Dict d) {
        List<Value> out = new ArrayList<>(d.map().size());
        Iterator<Map.Entry<Value, Value>> it = d.map().entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Value, Value> e = it.next();
            out.add(Seq.tuple(e.getKey(), e.getValue()));
        }
        return out;
    }
}
