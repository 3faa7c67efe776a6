package dev.jllm.text.jinja;

import dev.jllm.text.jinja.TemplateException.Kind;
import dev.jllm.text.jinja.Value.Callable;
import dev.jllm.text.jinja.Value.Dict;
import dev.jllm.text.jinja.Value.Int;
import dev.jllm.text.jinja.Value.Seq;
import dev.jllm.text.jinja.Value.Str;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods a template may call on strings, lists and dicts. Methods that would modify a value
 * ({@code append}, {@code pop}, {@code update}, ...) are refused, as in transformers' ImmutableSandboxedEnvironment.
 */
final class Methods {
    private Methods() {}

    private static final Set<String> UNSAFE_LIST = Set.of("append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear");
    private static final Set<String> UNSAFE_DICT = Set.of("clear", "pop", "popitem", "setdefault", "update");

    /** The bound method {@code obj.name}, or null when the object has no such (supported) method. */
    static Value bind(Interpreter in, Value obj, String name) {
        return switch (obj) {
            case Str s -> stringMethod(in, s.s(), name);
            case Seq q -> {
                if (!q.tuple() && UNSAFE_LIST.contains(name)) throw unsafe(obj, name);
                yield listMethod(q, name);
            }
            case Dict d -> {
                if (UNSAFE_DICT.contains(name)) throw unsafe(obj, name);
                yield dictMethod(d, name);
            }
            default -> null;
        };
    }

    private static TemplateException unsafe(Value obj, String name) {
        return new TemplateException(Kind.SecurityError, "access to attribute '" + name + "' of '" + Py.typeName(obj)
                + "' object is unsafe (templates cannot modify values)");
    }

    /** Arguments of one call, with Python-style positional/keyword access and arity errors. */
    record Args(String method, List<Value> args, Map<String, Value> kwargs) {
        Value get(int index, String keyword, Value dflt) {
            if (index < args.size()) return args.get(index);
            Value v = kwargs.get(keyword);
            return v != null ? v : dflt;
        }

        Value required(int index, String keyword) {
            Value v = get(index, keyword, null);
            if (v == null) throw TemplateException.typeError(method + "() missing required argument '" + keyword + "'");
            return v;
        }

        void atMost(int n) {
            if (args.size() > n) {
                throw TemplateException.typeError(method + "() takes at most " + n + " argument" + (n == 1 ? "" : "s")
                        + " (" + args.size() + " given)");
            }
        }

        String string(int index, String keyword) {
            Value v = required(index, keyword);
            if (!(v instanceof Str s)) {
                throw TemplateException.typeError(method + "() argument '" + keyword + "' must be str, not " + Py.typeName(v));
            }
            return s.s();
        }

        /** A str argument that may be None/absent (null). */
        String optString(int index, String keyword) {
            Value v = get(index, keyword, Value.NONE);
            if (v instanceof Value.None) return null;
            if (!(v instanceof Str s)) {
                throw TemplateException.typeError(method + "() argument '" + keyword + "' must be str or None, not " + Py.typeName(v));
            }
            return s.s();
        }

        int integer(int index, String keyword, int dflt) {
            Value v = get(index, keyword, null);
            if (v == null || v instanceof Value.None) return dflt;
            return Py.toIndex(v, method + "() argument '" + keyword + "'");
        }

        Integer optInteger(int index, String keyword) {
            Value v = get(index, keyword, Value.NONE);
            return v instanceof Value.None ? null : Py.toIndex(v, method + "() argument '" + keyword + "'");
        }
    }

    private static Callable method(String name, java.util.function.Function<Args, Value> body) {
        return new Callable(name, (args, kwargs) -> body.apply(new Args(name, args, kwargs)));
    }

    private static Value strings(List<String> parts) {
        List<Value> out = new ArrayList<>(parts.size());
        for (String p : parts) out.add(new Str(p));
        return Seq.list(out);
    }

    private static Value stringMethod(Interpreter in, String s, String name) {
        return switch (name) {
            case "strip", "lstrip", "rstrip" -> method(name, a -> {
                a.atMost(1);
                return new Str(PyStr.strip(s, a.optString(0, "chars"), !name.equals("rstrip"), !name.equals("lstrip")));
            });
            case "split", "rsplit" -> method(name, a -> {
                a.atMost(2);
                String sep = a.optString(0, "sep");
                int max = a.integer(1, "maxsplit", -1);
                return strings(name.equals("split") ? PyStr.split(s, sep, max) : PyStr.rsplit(s, sep, max));
            });
            case "splitlines" -> method(name, a -> strings(PyStr.splitlines(s, Py.truthy(a.get(0, "keepends", Value.FALSE)))));
            case "startswith", "endswith" -> method(name, a -> {
                Value prefix = a.required(0, "prefix");
                Integer start = a.optInteger(1, "start");
                Integer end = a.optInteger(2, "end");
                int[] cps = Py.codePoints(s);
                int lo = start == null ? 0 : PyStr.clamp(start, cps.length);
                int hi = end == null ? cps.length : PyStr.clamp(end, cps.length);
                String region = hi < lo ? "" : Py.fromCodePoints(cps, lo, hi);
                List<Value> options = prefix instanceof Seq q && q.tuple() ? q.items() : List.of(prefix);
                for (Value o : options) {
                    if (!(o instanceof Str p)) {
                        throw TemplateException.typeError(name + " first arg must be str or a tuple of str, not " + Py.typeName(o));
                    }
                    if (hi < lo && !p.s().isEmpty()) continue;
                    if (name.equals("startswith") ? region.startsWith(p.s()) : region.endsWith(p.s())) return Value.TRUE;
                }
                return Value.FALSE;
            });
            case "upper" -> method(name, a -> new Str(PyStr.upper(s)));
            case "lower", "casefold" -> method(name, a -> new Str(PyStr.lower(s)));
            case "title" -> method(name, a -> new Str(PyStr.title(s)));
            case "capitalize" -> method(name, a -> new Str(PyStr.capitalize(s)));
            case "swapcase" -> method(name, a -> {
                StringBuilder sb = new StringBuilder();
                s.codePoints().forEach(cp -> sb.append(Character.isUpperCase(cp) ? PyStr.lower(Character.toString(cp))
                        : Character.isLowerCase(cp) ? PyStr.upper(Character.toString(cp)) : Character.toString(cp)));
                return new Str(sb.toString());
            });
            case "replace" -> method(name, a -> new Str(PyStr.replace(in, s, a.string(0, "old"), a.string(1, "new"),
                    a.integer(2, "count", -1))));
            case "format" -> method(name, a -> new Str(PyFormat.format(in, s, a.args(), a.kwargs())));
            case "join" -> method(name, a -> {
                StringBuilder sb = new StringBuilder();
                boolean first = true;
                for (Value v : Py.iterate(a.required(0, "iterable"))) {
                    if (!(v instanceof Str p)) {
                        throw TemplateException.typeError("sequence item: expected str instance, " + Py.typeName(v) + " found");
                    }
                    if (!first) sb.append(s);
                    first = false;
                    sb.append(p.s());
                    in.checkLength(sb.length());
                }
                return new Str(sb.toString());
            });
            case "find", "rfind", "index", "rindex" -> method(name, a -> {
                int idx = PyStr.find(s, a.string(0, "sub"), a.optInteger(1, "start"), a.optInteger(2, "end"), name.startsWith("r"));
                if (idx < 0 && name.contains("index")) throw new TemplateException(Kind.ValueError, "substring not found");
                return Int.of(idx);
            });
            case "count" -> method(name, a -> Int.of(PyStr.count(s, a.string(0, "sub"))));
            case "isdigit", "isnumeric", "isdecimal" -> method(name, a -> Value.Bool.of(PyStr.isDigit(s)));
            case "isalpha" -> method(name, a -> Value.Bool.of(PyStr.isAlpha(s)));
            case "isalnum" -> method(name, a -> Value.Bool.of(PyStr.isAlnum(s)));
            case "isspace" -> method(name, a -> Value.Bool.of(PyStr.isSpaceString(s)));
            case "isupper" -> method(name, a -> Value.Bool.of(PyStr.isUpper(s)));
            case "islower" -> method(name, a -> Value.Bool.of(PyStr.isLower(s)));
            case "center", "ljust", "rjust" -> method(name, a -> {
                int width = a.integer(0, "width", 0);
                String fill = a.get(1, "fillchar", new Str(" ")) instanceof Str f ? f.s() : " ";
                char align = name.equals("center") ? '^' : name.equals("ljust") ? '<' : '>';
                return new Str(PyStr.pad(in, s, width, fill, align));
            });
            case "zfill" -> method(name, a -> {
                int width = a.integer(0, "width", 0);
                int len = Py.length(s);
                if (width <= len) return new Str(s);
                in.checkLength(width);
                boolean signed = !s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+');
                String zeros = "0".repeat(width - len);
                return new Str(signed ? s.charAt(0) + zeros + s.substring(1) : zeros + s);
            });
            case "removeprefix" -> method(name, a -> {
                String p = a.string(0, "prefix");
                return new Str(s.startsWith(p) ? s.substring(p.length()) : s);
            });
            case "removesuffix" -> method(name, a -> {
                String p = a.string(0, "suffix");
                return new Str(!p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s);
            });
            case "partition", "rpartition" -> method(name, a -> {
                String sep = a.string(0, "sep");
                if (sep.isEmpty()) throw new TemplateException(Kind.ValueError, "empty separator");
                int idx = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (idx < 0) {
                    return name.equals("partition") ? Seq.tuple(new Str(s), Str.EMPTY, Str.EMPTY)
                            : Seq.tuple(Str.EMPTY, Str.EMPTY, new Str(s));
                }
                return Seq.tuple(new Str(s.substring(0, idx)), new Str(sep), new Str(s.substring(idx + sep.length())));
            });
            default -> null;
        };
    }

    private static Value listMethod(Seq q, String name) {
        return switch (name) {
            case "index" -> method(name, a -> {
                Value x = a.required(0, "value");
                for (int k = 0; k < q.items().size(); k++) if (Py.eq(q.items().get(k), x)) return Int.of(k);
                throw new TemplateException(Kind.ValueError, Py.repr(x) + " is not in list");
            });
            case "count" -> method(name, a -> {
                Value x = a.required(0, "value");
                return Int.of(q.items().stream().filter(v -> Py.eq(v, x)).count());
            });
            case "copy" -> method(name, a -> Value.list(q.items()));
            default -> null;
        };
    }

    private static Value dictMethod(Dict d, String name) {
        return switch (name) {
            case "items" -> method(name, a -> Seq.list(Py.items(d)));
            case "keys" -> method(name, a -> Value.list(new ArrayList<>(d.map().keySet())));
            case "values" -> method(name, a -> Value.list(new ArrayList<>(d.map().values())));
            case "get" -> method(name, a -> {
                Value v = Py.dictGet(d, a.required(0, "key"));
                return v != null ? v : a.get(1, "default", Value.NONE);
            });
            case "copy" -> method(name, a -> new Dict(new LinkedHashMap<>(d.map())));
            default -> null;
        };
    }
}
