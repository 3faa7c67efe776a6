package dev.jllm.text.jinja;

import dev.jllm.text.jinja.Methods.Args;
import dev.jllm.text.jinja.TemplateException.Kind;
import dev.jllm.text.jinja.Value.Dict;
import dev.jllm.text.jinja.Value.Float;
import dev.jllm.text.jinja.Value.Int;
import dev.jllm.text.jinja.Value.Seq;
import dev.jllm.text.jinja.Value.Str;
import dev.jllm.text.jinja.Value.Undefined;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Jinja2's built-in filters, with transformers' {@code tojson} (Python {@code json.dumps}, non-ASCII kept). */
final class Filters {
    /** The filters this interpreter knows; a template naming any other fails to compile, as in Jinja. */
    static final java.util.Set<String> NAMES = java.util.Set.of("length", "count", "string", "trim", "upper", "lower",
            "title", "capitalize", "replace", "join", "first", "last", "list", "reverse", "map", "select", "reject",
            "selectattr", "rejectattr", "items", "default", "d", "tojson", "int", "float", "abs", "round", "unique",
            "sort", "dictsort", "min", "max", "sum", "indent", "center", "safe", "e", "escape", "forceescape", "batch",
            "wordcount", "attr", "format", "pprint", "striptags", "truncate");

    /** Python's {@code \w+} on str patterns: Unicode letters, digits and underscore. */
    private static final java.util.regex.Pattern WORD = java.util.regex.Pattern.compile("[\\w]+",
            java.util.regex.Pattern.UNICODE_CHARACTER_CLASS);

    private final Interpreter in;

    Filters(Interpreter in) {
        this.in = in;
    }

    Value apply(String name, Value v, List<Value> args, Map<String, Value> kwargs) {
        Args a = new Args(name, args, kwargs);
        // int(Undefined) and float(Undefined) raise in Python, and Jinja's filters let that through
        if ((name.equals("int") || name.equals("float")) && v instanceof Undefined u) throw TemplateException.undefined(u.hint());
        return switch (name) {
            case "length", "count" -> Int.of(Py.len(v));
            case "string" -> new Str(Py.str(v));
            case "trim" -> new Str(PyStr.strip(Py.str(v), a.optString(0, "chars"), true, true));
            case "upper" -> new Str(PyStr.upper(Py.str(v)));
            case "lower" -> new Str(PyStr.lower(Py.str(v)));
            case "title" -> new Str(PyStr.jinjaTitle(Py.str(v)));
            case "capitalize" -> new Str(PyStr.capitalize(Py.str(v)));
            case "replace" -> {
                Value count = a.get(2, "count", Value.NONE);
                yield new Str(PyStr.replace(in, Py.str(v), Py.str(a.required(0, "old")), Py.str(a.required(1, "new")),
                        count instanceof Value.None ? -1 : Py.toIndex(count, "count")));
            }
            case "join" -> join(v, Py.str(a.get(0, "d", Str.EMPTY)), a.get(1, "attribute", Value.NONE));
            case "first" -> {
                List<Value> items = Py.iterate(v);
                yield items.isEmpty() ? new Undefined("No first item, sequence was empty.") : items.getFirst();
            }
            case "last" -> {
                List<Value> items = Py.iterate(v);
                yield items.isEmpty() ? new Undefined("No last item, sequence was empty.") : items.getLast();
            }
            case "list" -> Value.list(Py.iterate(v));
            case "reverse" -> {
                if (v instanceof Str s) yield new Str(new StringBuilder(s.s()).reverse().toString());
                List<Value> items = new ArrayList<>(Py.iterate(v));
                java.util.Collections.reverse(items);
                yield Seq.list(items);
            }
            case "map" -> map(v, a);
            case "select", "reject" -> selectOrReject(v, a, name.equals("select"), false);
            case "selectattr", "rejectattr" -> selectOrReject(v, a, name.equals("selectattr"), true);
            case "items" -> {
                if (v instanceof Undefined) yield Seq.list(List.of());
                if (!(v instanceof Dict d)) throw TemplateException.typeError("can only get item pairs from a mapping");
                yield Seq.list(Py.items(d));
            }
            case "default", "d" -> {
                Value dflt = a.get(0, "default_value", Str.EMPTY);
                boolean bool = Py.truthy(a.get(1, "boolean", Value.FALSE));
                yield v instanceof Undefined || (bool && !Py.truthy(v)) ? dflt : v;
            }
            case "tojson" -> tojson(v, a);
            case "int" -> toInt(v, a.get(0, "default", Int.ZERO), a.integer(1, "base", 10));
            case "float" -> toFloat(v, a.get(0, "default", new Float(0.0)));
            case "abs" -> switch (v) {
                case Int i -> new Int(i.v().abs());
                case Float f -> new Float(Math.abs(f.v()));
                case Value.Bool b -> Int.of(b.value() ? 1 : 0);
                default -> throw TemplateException.typeError("bad operand type for abs(): '" + Py.typeName(v) + "'");
            };
            case "round" -> round(v, a.integer(0, "precision", 0), Py.str(a.get(1, "method", new Str("common"))));
            case "unique" -> unique(v, Py.truthy(a.get(0, "case_sensitive", Value.FALSE)), a.get(1, "attribute", Value.NONE));
            case "sort" -> sort(v, Py.truthy(a.get(0, "reverse", Value.FALSE)), Py.truthy(a.get(1, "case_sensitive", Value.FALSE)),
                    a.get(2, "attribute", Value.NONE));
            case "dictsort" -> dictsort(v, Py.truthy(a.get(0, "case_sensitive", Value.FALSE)), Py.str(a.get(1, "by", new Str("key"))),
                    Py.truthy(a.get(2, "reverse", Value.FALSE)));
            case "min", "max" -> {
                List<Value> items = Py.iterate(v);
                if (items.isEmpty()) yield new Undefined("No aggregated item, sequence was empty.");
                Comparator<Value> cmp = sortKey(Py.truthy(a.get(0, "case_sensitive", Value.FALSE)), a.get(1, "attribute", Value.NONE));
                Value best = items.getFirst();
                for (Value x : items) {
                    int c = cmp.compare(x, best);
                    if (name.equals("min") ? c < 0 : c > 0) best = x;
                }
                yield best;
            }
            case "sum" -> {
                Value attribute = a.get(0, "attribute", Value.NONE);
                Value total = a.get(1, "start", Int.ZERO);
                for (Value x : Py.iterate(v)) total = Ops.arithmetic(in, "+", total, attribute instanceof Value.None ? x : attr(x, attribute));
                yield total;
            }
            case "indent" -> indent(indentable(v), a.get(0, "width", Int.of(4)), Py.truthy(a.get(1, "first", Value.FALSE)),
                    Py.truthy(a.get(2, "blank", Value.FALSE)));
            case "center" -> new Str(PyStr.pad(in, Py.str(v), a.integer(0, "width", 80), " ", '^'));
            case "safe" -> v;
            case "e", "escape", "forceescape" -> new Str(PyStr.escapeHtml(Py.str(v)));
            case "batch" -> batch(v, a.integer(0, "linecount", 1), a.get(1, "fill_with", Value.NONE));
            case "wordcount" -> Int.of(WORD.matcher(Py.str(v)).results().count());
            case "attr" -> in.getAttr(v, Py.str(a.required(0, "name")), false);
            case "format" -> {
                List<Value> fmtArgs = a.args();
                Value arg = a.kwargs().isEmpty() ? new Seq(fmtArgs, true) : Py.of(a.kwargs());
                yield new Str(PyFormat.percent(in, Py.str(v), arg));
            }
            case "pprint" -> new Str(Py.repr(v));
            case "striptags" -> new Str(String.join(" ", PyStr.split(Py.str(v).replaceAll("(?s)<!--.*?-->|<[^>]*>", ""), null, -1)));
            case "truncate" -> truncate(Py.str(v), a.integer(0, "length", 255), Py.truthy(a.get(1, "killwords", Value.FALSE)),
                    Py.str(a.get(2, "end", new Str("..."))), a.integer(3, "leeway", 5));
            default -> throw new TemplateException(Kind.TemplateSyntaxError, "no filter named '" + name + "'");
        };
    }

    /** Jinja's indent appends "\n" to its argument, so anything but a string fails as it does in Python. */
    private static String indentable(Value v) {
        if (v instanceof Str s) return s.s();
        if (v instanceof Undefined u) throw TemplateException.undefined(u.hint());
        throw TemplateException.typeError("unsupported operand type(s) for +=: '" + Py.typeName(v) + "' and 'str'");
    }

    /** Jinja's attribute getter for filters: dotted path, integer parts index, item first then attribute. */
    Value attr(Value item, Value attribute) {
        if (attribute instanceof Int) return in.getItem(item, attribute);
        Value cur = item;
        for (String part : Py.str(attribute).split("\\.", -1)) {
            Value key = part.chars().allMatch(Character::isDigit) && !part.isEmpty() ? Int.of(Long.parseLong(part)) : new Str(part);
            cur = in.getItem(cur, key);
        }
        return cur;
    }

    private Value join(Value v, String sep, Value attribute) {
        StringBuilder sb = new StringBuilder();
        boolean first = true;
        for (Value x : Py.iterate(v)) {
            if (!first) sb.append(sep);
            first = false;
            sb.append(Py.str(attribute instanceof Value.None ? x : attr(x, attribute)));
            in.checkLength(sb.length());
        }
        return new Str(sb.toString());
    }

    private Value map(Value v, Args a) {
        List<Value> out = new ArrayList<>();
        if (!Py.truthy(v)) return Seq.list(out); // Jinja: "if value:" before iterating
        Value attribute = a.kwargs().get("attribute");
        if (attribute != null) {
            Value dflt = a.kwargs().get("default");
            for (Value x : Py.iterate(v)) {
                Value r = attr(x, attribute);
                out.add(r instanceof Undefined && dflt != null ? dflt : r);
            }
            return Seq.list(out);
        }
        if (a.args().isEmpty()) throw TemplateException.typeError("map() needs a filter name or attribute=");
        String filter = Py.str(a.args().getFirst());
        List<Value> rest = a.args().subList(1, a.args().size());
        for (Value x : Py.iterate(v)) out.add(apply(filter, x, rest, a.kwargs()));
        return Seq.list(out);
    }

    private Value selectOrReject(Value v, Args a, boolean select, boolean byAttribute) {
        List<Value> args = a.args();
        Value attribute = null;
        if (byAttribute) {
            if (args.isEmpty()) throw TemplateException.typeError(a.method() + "() needs an attribute name");
            attribute = args.getFirst();
            args = args.subList(1, args.size());
        }
        if (!Py.truthy(v)) return Seq.list(List.of()); // Jinja: "if value:" before iterating
        String test = args.isEmpty() ? null : Py.str(args.getFirst());
        List<Value> testArgs = args.isEmpty() ? List.of() : args.subList(1, args.size());
        List<Value> out = new ArrayList<>();
        for (Value x : Py.iterate(v)) {
            Value subject = attribute != null ? attr(x, attribute) : x;
            boolean ok = test == null ? Py.truthy(subject) : in.tests.apply(test, subject, testArgs, a.kwargs());
            if (ok == select) out.add(x);
        }
        return Seq.list(out);
    }

    private Value tojson(Value v, Args a) {
        Value indentArg = a.get(0, "indent", Value.NONE);
        String indent = switch (indentArg) {
            case Value.None n -> null;
            case Str s -> s.s();
            default -> {
                int n = Py.toIndex(indentArg, "indent");
                in.checkLength(n);
                yield " ".repeat(Math.max(0, n));
            }
        };
        String itemSep = null, keySep = null;
        Value separators = a.kwargs().get("separators");
        if (separators instanceof Seq s && s.items().size() == 2) {
            itemSep = Py.str(s.items().get(0));
            keySep = Py.str(s.items().get(1));
        }
        boolean sortKeys = Py.truthy(a.kwargs().getOrDefault("sort_keys", Value.FALSE));
        boolean ensureAscii = Py.truthy(a.kwargs().getOrDefault("ensure_ascii", Value.FALSE));
        String json = Py.toJson(v, indent, itemSep, keySep, sortKeys, ensureAscii);
        in.checkLength(json.length());
        return new Str(json);
    }

    private static Value toInt(Value v, Value dflt, int base) {
        try {
            return switch (v) {
                case Int i -> i;
                case Value.Bool b -> Int.of(b.value() ? 1 : 0);
                case Float f -> {
                    if (Double.isNaN(f.v()) || Double.isInfinite(f.v())) yield dflt;
                    yield new Int(new BigDecimal(f.v()).toBigInteger());
                }
                case Str s -> {
                    try {
                        yield new Int(parseInt(s.s(), base));
                    } catch (NumberFormatException e) {
                        double d = parseFloat(s.s());
                        if (Double.isNaN(d) || Double.isInfinite(d)) yield dflt;
                        yield new Int(new BigDecimal(d).toBigInteger());
                    }
                }
                default -> dflt;
            };
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    /** Python's {@code int(s, base)}: surrounding whitespace, sign, underscores between digits, base prefixes. */
    static BigInteger parseInt(String s, int base) {
        String t = PyStr.strip(s, null, true, true);
        boolean negative = false;
        if (t.startsWith("-") || t.startsWith("+")) {
            negative = t.startsWith("-");
            t = t.substring(1);
        }
        String lower = t.toLowerCase(java.util.Locale.ROOT);
        if ((base == 16 || base == 0) && lower.startsWith("0x")) {
            base = 16;
            t = t.substring(2);
        } else if ((base == 8 || base == 0) && lower.startsWith("0o")) {
            base = 8;
            t = t.substring(2);
        } else if ((base == 2 || base == 0) && lower.startsWith("0b")) {
            base = 2;
            t = t.substring(2);
        } else if (base == 0) {
            base = 10;
        }
        if (t.startsWith("_")) t = t.substring(1);
        if (t.isEmpty() || t.endsWith("_") || t.contains("__")) throw new NumberFormatException(s);
        BigInteger v = new BigInteger(t.replace("_", ""), base);
        return negative ? v.negate() : v;
    }

    /** Python's {@code float(s)}. */
    static double parseFloat(String s) {
        String t = PyStr.strip(s, null, true, true).toLowerCase(java.util.Locale.ROOT);
        String unsigned = t.startsWith("-") || t.startsWith("+") ? t.substring(1) : t;
        if (unsigned.equals("inf") || unsigned.equals("infinity")) return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        if (unsigned.equals("nan")) return Double.NaN;
        if (!unsigned.matches("(\\d(_?\\d)*)?(\\.(\\d(_?\\d)*)?)?(e[+-]?\\d(_?\\d)*)?") || !unsigned.matches(".*\\d.*")
                || unsigned.startsWith("e") || unsigned.startsWith(".e")) {
            throw new NumberFormatException(s);
        }
        return Double.parseDouble(t.replace("_", ""));
    }

    private static Value toFloat(Value v, Value dflt) {
        return switch (v) {
            case Float f -> f;
            case Int i -> new Float(Py.toDouble(i));
            case Value.Bool b -> new Float(b.value() ? 1 : 0);
            case Str s -> {
                try {
                    yield new Float(parseFloat(s.s()));
                } catch (NumberFormatException e) {
                    yield dflt;
                }
            }
            default -> dflt;
        };
    }

    private static Value round(Value v, int precision, String method) {
        if (!method.equals("common") && !method.equals("ceil") && !method.equals("floor")) {
            throw TemplateException.typeError("method must be common, ceil or floor");
        }
        if (!Py.isNumber(v)) throw TemplateException.typeError("type " + Py.typeName(v) + " doesn't define __round__ method");
        if (method.equals("common")) {
            if (v instanceof Float f) return new Float(Py.round(f.v(), precision));
            if (precision >= 0) return new Int(Py.toBigInt(v));
            return new Int(new BigDecimal(Py.toBigInt(v)).setScale(precision, RoundingMode.HALF_EVEN).toBigInteger());
        }
        double d = Py.toDouble(v);
        double scale = Math.pow(10, precision);
        double r = method.equals("ceil") ? Math.ceil(d * scale) : Math.floor(d * scale);
        return new Float(r / scale);
    }

    private Comparator<Value> sortKey(boolean caseSensitive, Value attribute) {
        return (x, y) -> {
            Value kx = attribute instanceof Value.None ? x : attr(x, attribute);
            Value ky = attribute instanceof Value.None ? y : attr(y, attribute);
            if (!caseSensitive) {
                if (kx instanceof Str s) kx = new Str(PyStr.lower(s.s()));
                if (ky instanceof Str s) ky = new Str(PyStr.lower(s.s()));
            }
            return Py.compare(kx, ky, "<");
        };
    }

    private Value unique(Value v, boolean caseSensitive, Value attribute) {
        // a hash set, as Python's: linear time, and unhashable items fail as they do there
        java.util.Set<Value> seen = new java.util.HashSet<>();
        List<Value> out = new ArrayList<>();
        for (Value x : Py.iterate(v)) {
            Value key = attribute instanceof Value.None ? x : attr(x, attribute);
            if (!caseSensitive && key instanceof Str s) key = new Str(PyStr.lower(s.s()));
            if (!Py.isHashable(key)) throw TemplateException.typeError("unhashable type: '" + Py.typeName(key) + "'");
            if (seen.add(Py.key(key))) out.add(x);
        }
        return Seq.list(out);
    }

    private Value sort(Value v, boolean reverse, boolean caseSensitive, Value attribute) {
        List<Value> items = new ArrayList<>(Py.iterate(v));
        Comparator<Value> cmp = sortKey(caseSensitive, attribute);
        items.sort(reverse ? cmp.reversed() : cmp);
        return Seq.list(items);
    }

    private Value dictsort(Value v, boolean caseSensitive, String by, boolean reverse) {
        if (!(v instanceof Dict d)) throw TemplateException.typeError("dictsort needs a mapping, not " + Py.typeName(v));
        int pos = switch (by) {
            case "key" -> 0;
            case "value" -> 1;
            default -> throw new TemplateException(Kind.ValueError, "You can only sort by either \"key\" or \"value\"");
        };
        List<Value> items = new ArrayList<>(Py.items(d));
        Comparator<Value> cmp = (x, y) -> {
            Value kx = ((Seq) x).items().get(pos), ky = ((Seq) y).items().get(pos);
            if (!caseSensitive) {
                if (kx instanceof Str s) kx = new Str(PyStr.lower(s.s()));
                if (ky instanceof Str s) ky = new Str(PyStr.lower(s.s()));
            }
            return Py.compare(kx, ky, "<");
        };
        items.sort(reverse ? cmp.reversed() : cmp);
        return Seq.list(items);
    }

    private Value indent(String s, Value width, boolean first, boolean blank) {
        String indention;
        if (width instanceof Str w) {
            indention = w.s();
        } else {
            int n = Math.max(0, Py.toIndex(width, "width"));
            in.checkLength(n);
            indention = " ".repeat(n);
        }
        List<String> lines = PyStr.splitlines(s + "\n", false);
        in.checkLength(s.length() + (long) (lines.size() + 1) * indention.length());
        StringBuilder sb = new StringBuilder();
        if (blank) {
            sb.append(String.join("\n" + indention, lines));
        } else {
            sb.append(lines.getFirst());
            for (int k = 1; k < lines.size(); k++) {
                sb.append('\n');
                if (!lines.get(k).isEmpty()) sb.append(indention);
                sb.append(lines.get(k));
            }
        }
        if (first) sb.insert(0, indention);
        return new Str(sb.toString());
    }

    private Value batch(Value v, int count, Value fill) {
        if (count <= 0) throw new TemplateException(Kind.ValueError, "batch size must be positive");
        List<Value> out = new ArrayList<>();
        List<Value> current = new ArrayList<>();
        for (Value x : Py.iterate(v)) {
            current.add(x);
            if (current.size() == count) {
                out.add(Seq.list(current));
                current = new ArrayList<>();
            }
        }
        if (!current.isEmpty()) {
            if (!(fill instanceof Value.None)) while (current.size() < count) current.add(fill);
            out.add(Seq.list(current));
        }
        return Seq.list(out);
    }

    private static Value truncate(String s, int length, boolean killwords, String end, int leeway) {
        if (Py.length(s) <= length + leeway) return new Str(s);
        int[] cps = Py.codePoints(s);
        int keep = Math.max(0, length - Py.length(end));
        String head = Py.fromCodePoints(cps, 0, Math.min(keep, cps.length));
        if (killwords) return new Str(head + end);
        int space = head.lastIndexOf(' ');
        return new Str((space >= 0 ? head.substring(0, space) : head) + end);
    }
}
