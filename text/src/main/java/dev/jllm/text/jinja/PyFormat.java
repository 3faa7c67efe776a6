package dev.jllm.text.jinja;

import dev.jllm.text.jinja.TemplateException.Kind;
import dev.jllm.text.jinja.Value.Dict;
import dev.jllm.text.jinja.Value.Float;
import dev.jllm.text.jinja.Value.Int;
import dev.jllm.text.jinja.Value.Seq;
import dev.jllm.text.jinja.Value.Str;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Python's string formatting: {@code %}-formatting, {@code str.format} and {@code strftime}. */
final class PyFormat {
    private PyFormat() {}

    // ------------------------------------------------------------------ format spec (shared)

    /** One parsed conversion: flags, width, precision and type, in either {@code %} or {@code format} syntax. */
    private record Spec(char fill, char align, char sign, boolean alternate, boolean zero, int width, boolean grouping,
                        int precision, char type) {}

    private static String applySpec(Interpreter in, Value v, Spec spec) {
        if (spec.width() > 0) in.checkLength(spec.width());
        String body;
        char type = spec.type();
        boolean numeric = false;
        boolean negative = false;
        switch (type) {
            case 's', 'r', 'a', 0 -> {
                if (type == 0 && Py.isNumber(v) && !(v instanceof Value.Bool)) {
                    numeric = true;
                    if (v instanceof Float f) {
                        negative = f.v() < 0 || (f.v() == 0 && 1 / f.v() < 0);
                        body = spec.precision() >= 0 ? formatGeneral(Math.abs(f.v()), spec.precision(), true)
                                : Py.floatRepr(Math.abs(f.v()));
                    } else {
                        BigInteger i = Py.toBigInt(v);
                        negative = i.signum() < 0;
                        body = grouped(i.abs().toString(), spec.grouping());
                    }
                } else {
                    body = type == 'r' || type == 'a' ? Py.repr(v) : Py.str(v);
                    if (spec.precision() >= 0 && Py.length(body) > spec.precision()) {
                        body = Py.fromCodePoints(Py.codePoints(body), 0, spec.precision());
                    }
                }
            }
            case 'd', 'i', 'u' -> {
                numeric = true;
                BigInteger i = v instanceof Float f ? BigDecimal.valueOf(f.v()).toBigInteger() : toInteger(v, type);
                negative = i.signum() < 0;
                body = grouped(i.abs().toString(), spec.grouping());
            }
            case 'x', 'X', 'o', 'b' -> {
                numeric = true;
                BigInteger i = toInteger(v, type);
                negative = i.signum() < 0;
                int radix = type == 'o' ? 8 : type == 'b' ? 2 : 16;
                body = i.abs().toString(radix);
                if (type == 'X') body = body.toUpperCase(Locale.ROOT);
                if (spec.alternate()) body = "0" + (type == 'o' ? "o" : type == 'b' ? "b" : String.valueOf(type)) + body;
            }
            case 'f', 'F', 'e', 'E', 'g', 'G', '%' -> {
                numeric = true;
                if (!Py.isNumber(v)) throw TemplateException.typeError("must be real number, not " + Py.typeName(v));
                double d = Py.toDouble(v);
                negative = d < 0 || (d == 0 && 1 / d < 0);
                double a = Math.abs(d);
                int p = spec.precision() < 0 ? 6 : spec.precision();
                if (Double.isNaN(a) || Double.isInfinite(a)) {
                    body = Double.isNaN(a) ? "nan" : "inf";
                } else {
                    body = switch (Character.toLowerCase(type)) {
                        case 'f' -> fixed(a, p);
                        case '%' -> fixed(a * 100, p) + "%";
                        case 'e' -> scientific(a, p);
                        default -> formatGeneral(a, p == 0 ? 1 : p, spec.alternate());
                    };
                    if (spec.grouping() && Character.toLowerCase(type) == 'f') {
                        int dot = body.indexOf('.');
                        body = grouped(dot < 0 ? body : body.substring(0, dot), true) + (dot < 0 ? "" : body.substring(dot));
                    }
                }
                if (Character.isUpperCase(type)) body = body.toUpperCase(Locale.ROOT);
            }
            case 'c' -> body = v instanceof Str s ? s.s() : Character.toString(Py.toBigInt(v).intValue());
            default -> throw new TemplateException(Kind.ValueError, "unsupported format character '" + type + "'");
        }
        String sign = "";
        if (numeric) {
            if (negative) sign = "-";
            else if (spec.sign() == '+') sign = "+";
            else if (spec.sign() == ' ') sign = " ";
        }
        int len = Py.length(sign + body);
        if (spec.width() <= len) return sign + body;
        int pad = spec.width() - len;
        char align = spec.align();
        char fill = spec.fill();
        if (spec.zero() && numeric && align == 0) {
            align = '=';
            fill = '0';
        }
        if (align == 0) align = numeric ? '>' : '<';
        String f = String.valueOf(fill);
        return switch (align) {
            case '<' -> sign + body + f.repeat(pad);
            case '^' -> f.repeat(pad / 2) + sign + body + f.repeat(pad - pad / 2);
            case '=' -> sign + f.repeat(pad) + body;
            default -> f.repeat(pad) + sign + body;
        };
    }

    private static BigInteger toInteger(Value v, char type) {
        if (v instanceof Int || v instanceof Value.Bool) return Py.toBigInt(v);
        throw TemplateException.typeError("%" + type + " format: an integer is required, not " + Py.typeName(v));
    }

    private static String grouped(String digits, boolean grouping) {
        if (!grouping || digits.length() <= 3) return digits;
        StringBuilder sb = new StringBuilder();
        int first = digits.length() % 3;
        if (first > 0) sb.append(digits, 0, first);
        for (int i = first; i < digits.length(); i += 3) {
            if (!sb.isEmpty()) sb.append(',');
            sb.append(digits, i, i + 3);
        }
        return sb.toString();
    }

    /** {@code %.pf} exactly as C/Python round the binary value (half to even on the exact decimal expansion). */
    static String fixed(double a, int p) {
        return new BigDecimal(a).setScale(p, RoundingMode.HALF_EVEN).toPlainString();
    }

    static String scientific(double a, int p) {
        if (a == 0) return fixed(0, p) + "e+00";
        BigDecimal bd = new BigDecimal(a);
        BigDecimal rounded = bd.round(new java.math.MathContext(p + 1, RoundingMode.HALF_EVEN));
        int exp = rounded.precision() - rounded.scale() - 1;
        BigDecimal mantissa = rounded.movePointLeft(exp).setScale(p, RoundingMode.HALF_EVEN);
        return mantissa.toPlainString() + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }

    /** {@code %g}: scientific when the exponent is below -4 or at least the precision; trailing zeros dropped. */
    static String formatGeneral(double a, int p, boolean keepZeros) {
        if (a == 0) return keepZeros ? fixed(0, p - 1) : "0";
        BigDecimal rounded = new BigDecimal(a).round(new java.math.MathContext(p, RoundingMode.HALF_EVEN));
        int exp = rounded.precision() - rounded.scale() - 1;
        String s;
        if (exp < -4 || exp >= p) {
            s = scientific(a, p - 1);
            if (!keepZeros) {
                int e = s.indexOf('e');
                s = stripZeros(s.substring(0, e)) + s.substring(e);
            }
        } else {
            s = fixed(a, Math.max(0, p - 1 - exp));
            if (!keepZeros) s = stripZeros(s);
        }
        return s;
    }

    private static String stripZeros(String s) {
        if (s.indexOf('.') < 0) return s;
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    // ------------------------------------------------------------------ printf-style: 'fmt' % args

    static String percent(Interpreter in, String fmt, Value args) {
        List<Value> positional = args instanceof Seq s && s.tuple() ? s.items() : List.of(args);
        Dict mapping = args instanceof Dict d ? d : null;
        // CPython treats any non-tuple, non-str argument with __getitem__ (a list too) as a mapping: no arity check
        boolean mappingLike = args instanceof Dict || (args instanceof Seq q && !q.tuple());
        StringBuilder out = new StringBuilder();
        int next = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i++);
            if (c != '%') {
                out.append(c);
                continue;
            }
            if (i >= fmt.length()) throw new TemplateException(Kind.ValueError, "incomplete format");
            Value value = null;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0 || mapping == null) throw TemplateException.typeError("format requires a mapping");
                value = Py.dictGet(mapping, new Str(fmt.substring(i + 1, close)));
                if (value == null) throw new TemplateException(Kind.LookupError, Py.reprString(fmt.substring(i + 1, close)));
                i = close + 1;
            }
            char sign = 0;
            boolean alternate = false, zero = false, left = false;
            for (; i < fmt.length(); i++) {
                char f = fmt.charAt(i);
                if (f == '-') left = true;
                else if (f == '+') sign = '+';
                else if (f == ' ' && sign != '+') sign = ' ';
                else if (f == '#') alternate = true;
                else if (f == '0') zero = true;
                else break;
            }
            int width = 0;
            if (i < fmt.length() && fmt.charAt(i) == '*') {
                width = Py.toIndex(positional.get(next++), "* width");
                i++;
            }
            while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) width = Math.min(100_000_000, width * 10 + fmt.charAt(i++) - '0');
            int precision = -1;
            if (i < fmt.length() && fmt.charAt(i) == '.') {
                i++;
                precision = 0;
                while (i < fmt.length() && Character.isDigit(fmt.charAt(i))) precision = Math.min(10_000, precision * 10 + fmt.charAt(i++) - '0');
            }
            if (i >= fmt.length()) throw new TemplateException(Kind.ValueError, "incomplete format");
            char type = fmt.charAt(i++);
            if (type == '%') {
                out.append('%');
                continue;
            }
            if (value == null) {
                if (next >= positional.size()) throw TemplateException.typeError("not enough arguments for format string");
                value = positional.get(next++);
            }
            if (type == 's' && !(value instanceof Str)) value = new Str(Py.str(value));
            Spec spec = new Spec(' ', left ? '<' : zero ? 0 : '>', sign, alternate, zero && !left, width, false, precision,
                    type == 'F' ? 'F' : type);
            String piece = applySpec(in, value, spec);
            in.checkLength((long) out.length() + piece.length());
            out.append(piece);
        }
        if (!mappingLike && next < positional.size()) {
            throw TemplateException.typeError("not all arguments converted during string formatting");
        }
        return out.toString();
    }

    // ------------------------------------------------------------------ str.format

    static String format(Interpreter in, String fmt, List<Value> args, Map<String, Value> kwargs) {
        StringBuilder out = new StringBuilder();
        int auto = 0;
        int i = 0;
        while (i < fmt.length()) {
            char c = fmt.charAt(i);
            if (c == '{' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '{') {
                out.append('{');
                i += 2;
            } else if (c == '}' && i + 1 < fmt.length() && fmt.charAt(i + 1) == '}') {
                out.append('}');
                i += 2;
            } else if (c == '{') {
                int depth = 1, j = i + 1;
                while (j < fmt.length() && depth > 0) {
                    if (fmt.charAt(j) == '{') depth++;
                    else if (fmt.charAt(j) == '}') depth--;
                    j++;
                }
                if (depth != 0) throw new TemplateException(Kind.ValueError, "expected '}' before end of string");
                String field = fmt.substring(i + 1, j - 1);
                i = j;
                String spec = "";
                char conversion = 0;
                int colon = field.indexOf(':');
                if (colon >= 0) {
                    spec = field.substring(colon + 1);
                    field = field.substring(0, colon);
                }
                int bang = field.indexOf('!');
                if (bang >= 0) {
                    conversion = bang + 1 < field.length() ? field.charAt(bang + 1) : 0;
                    field = field.substring(0, bang);
                }
                Value v = resolveField(in, field, args, kwargs, auto);
                if (field.isEmpty() || !Character.isDigit(field.charAt(0)) && isAutoField(field)) auto++;
                if (conversion == 'r') v = new Str(Py.repr(v));
                else if (conversion == 's') v = new Str(Py.str(v));
                if (spec.contains("{")) spec = format(in, spec, args, kwargs);
                String piece = applySpec(in, v, parseFormatSpec(spec, v));
                in.checkLength((long) out.length() + piece.length());
                out.append(piece);
            } else if (c == '}') {
                throw new TemplateException(Kind.ValueError, "single '}' encountered in format string");
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }

    private static boolean isAutoField(String field) {
        return field.isEmpty() || field.charAt(0) == '.' || field.charAt(0) == '[';
    }

    private static Value resolveField(Interpreter in, String field, List<Value> args, Map<String, Value> kwargs, int auto) {
        int end = 0;
        while (end < field.length() && field.charAt(end) != '.' && field.charAt(end) != '[') end++;
        String head = field.substring(0, end);
        Value v;
        if (head.isEmpty()) {
            if (auto >= args.size()) throw new TemplateException(Kind.LookupError, "Replacement index " + auto + " out of range");
            v = args.get(auto);
        } else if (head.chars().allMatch(Character::isDigit)) {
            int idx = Integer.parseInt(head);
            if (idx >= args.size()) throw new TemplateException(Kind.LookupError, "Replacement index " + idx + " out of range");
            v = args.get(idx);
        } else {
            v = kwargs.get(head);
            if (v == null) throw new TemplateException(Kind.LookupError, "'" + head + "'");
        }
        int i = end;
        while (i < field.length()) {
            if (field.charAt(i) == '.') {
                int j = i + 1;
                while (j < field.length() && field.charAt(j) != '.' && field.charAt(j) != '[') j++;
                v = in.getAttr(v, field.substring(i + 1, j));
                i = j;
            } else {
                int close = field.indexOf(']', i);
                if (close < 0) throw new TemplateException(Kind.ValueError, "missing ']' in format string");
                String key = field.substring(i + 1, close);
                v = in.getItem(v, key.chars().allMatch(Character::isDigit) && !key.isEmpty() ? Int.of(Long.parseLong(key)) : new Str(key));
                i = close + 1;
            }
        }
        return v;
    }

    private static Spec parseFormatSpec(String s, Value v) {
        char fill = ' ', align = 0, sign = 0;
        boolean alternate = false, zero = false, grouping = false;
        int width = 0, precision = -1;
        int i = 0;
        if (s.length() >= 2 && "<>=^".indexOf(s.charAt(1)) >= 0) {
            fill = s.charAt(0);
            align = s.charAt(1);
            i = 2;
        } else if (!s.isEmpty() && "<>=^".indexOf(s.charAt(0)) >= 0) {
            align = s.charAt(0);
            i = 1;
        }
        if (i < s.length() && "+- ".indexOf(s.charAt(i)) >= 0) sign = s.charAt(i++);
        if (i < s.length() && s.charAt(i) == '#') {
            alternate = true;
            i++;
        }
        if (i < s.length() && s.charAt(i) == '0') {
            zero = true;
            i++;
        }
        while (i < s.length() && Character.isDigit(s.charAt(i))) width = Math.min(100_000_000, width * 10 + s.charAt(i++) - '0');
        if (i < s.length() && (s.charAt(i) == ',' || s.charAt(i) == '_')) {
            grouping = true;
            i++;
        }
        if (i < s.length() && s.charAt(i) == '.') {
            i++;
            precision = 0;
            while (i < s.length() && Character.isDigit(s.charAt(i))) precision = Math.min(10_000, precision * 10 + s.charAt(i++) - '0');
        }
        char type = 0;
        if (i < s.length()) type = s.charAt(i++);
        if (i < s.length()) throw new TemplateException(Kind.ValueError, "invalid format specifier '" + s + "'");
        if (type == 0 && v instanceof Float && precision >= 0) type = 0;
        if (type == 'n') type = Py.isNumber(v) && !(v instanceof Float) ? 'd' : 'g';
        if (type == 's' && !(v instanceof Str)) {
            throw new TemplateException(Kind.ValueError, "Unknown format code 's' for object of type '" + Py.typeName(v) + "'");
        }
        return new Spec(fill, align, sign, alternate, zero, width, grouping, precision, type);
    }

    // ------------------------------------------------------------------ strftime

    /** Python's {@code datetime.strftime} for the directives chat templates use (C locale). */
    static String strftime(String fmt, LocalDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                sb.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            boolean noPad = false;
            if (d == '-' && i + 1 < fmt.length()) {
                noPad = true;
                d = fmt.charAt(++i);
            }
            String piece = switch (d) {
                case 'Y' -> String.valueOf(t.getYear());
                case 'y' -> two(t.getYear() % 100);
                case 'm' -> two(t.getMonthValue());
                case 'd' -> two(t.getDayOfMonth());
                case 'e' -> String.format("%2d", t.getDayOfMonth());
                case 'H' -> two(t.getHour());
                case 'I' -> two((t.getHour() + 11) % 12 + 1);
                case 'M' -> two(t.getMinute());
                case 'S' -> two(t.getSecond());
                case 'f' -> String.format("%06d", t.getNano() / 1000);
                case 'p' -> t.getHour() < 12 ? "AM" : "PM";
                case 'b', 'h' -> t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'B' -> t.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
                case 'a' -> t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
                case 'A' -> t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
                case 'j' -> String.format("%03d", t.getDayOfYear());
                case 'w' -> String.valueOf(t.getDayOfWeek().getValue() % 7);
                case 'u' -> String.valueOf(t.getDayOfWeek().getValue());
                case 'F' -> t.getYear() + "-" + two(t.getMonthValue()) + "-" + two(t.getDayOfMonth());
                case 'T' -> two(t.getHour()) + ":" + two(t.getMinute()) + ":" + two(t.getSecond());
                case 'D' -> two(t.getMonthValue()) + "/" + two(t.getDayOfMonth()) + "/" + two(t.getYear() % 100);
                case 'Z', 'z' -> "";
                case '%' -> "%";
                default -> "%" + (noPad ? "-" : "") + d;
            };
            if (noPad && piece.length() > 1 && "dmHIMSjye".indexOf(d) >= 0) piece = piece.replaceFirst("^[0 ]+(?=.)", "");
            sb.append(piece);
        }
        return sb.toString();
    }

    private static String two(int v) {
        return v < 10 ? "0" + v : String.valueOf(v);
    }
}
