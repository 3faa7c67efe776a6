package dev.jllm.text.jinja;

import dev.jllm.text.jinja.TemplateException.Kind;
import dev.jllm.text.jinja.Value.Float;
import dev.jllm.text.jinja.Value.Int;
import dev.jllm.text.jinja.Value.Seq;
import dev.jllm.text.jinja.Value.Str;
import dev.jllm.text.jinja.Value.Undefined;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/** Python's binary arithmetic operators ({@code + - * / // % **}) on {@link Value}s. */
final class Ops {
    private Ops() {}

    static Value arithmetic(Interpreter in, String op, Value l, Value r) {
        if (l instanceof Undefined u) throw TemplateException.undefined(u.hint());
        // str % x takes x as a mapping when it has __getitem__, which Jinja's Undefined does
        if (op.equals("%") && l instanceof Str s && r instanceof Undefined) return new Str(PyFormat.percent(in, s.s(), new Value.Dict(java.util.Map.of())));
        if (r instanceof Undefined u) throw TemplateException.undefined(u.hint());
        if (Py.isNumber(l) && Py.isNumber(r)) return numeric(op, l, r);
        switch (op) {
            case "+" -> {
                if (l instanceof Str a && r instanceof Str b) {
                    in.checkLength((long) a.s().length() + b.s().length());
                    return new Str(a.s() + b.s());
                }
                if (l instanceof Seq a && r instanceof Seq b && a.tuple() == b.tuple()) {
                    in.checkLength((long) a.items().size() + b.items().size());
                    List<Value> items = new ArrayList<>(a.items());
                    items.addAll(b.items());
                    return new Seq(items, a.tuple());
                }
                if (l instanceof Str || l instanceof Seq) {
                    String kind = l instanceof Str ? "str" : Py.typeName(l);
                    throw TemplateException.typeError("can only concatenate " + kind + " (not \"" + Py.typeName(r)
                            + "\") to " + kind);
                }
            }
            case "*" -> {
                if ((l instanceof Str || l instanceof Seq) && isInt(r)) return repeat(in, l, r);
                if ((r instanceof Str || r instanceof Seq) && isInt(l)) return repeat(in, r, l);
            }
            case "%" -> {
                if (l instanceof Str s) return new Str(PyFormat.percent(in, s.s(), r));
            }
            default -> { }
        }
        throw TemplateException.typeError("unsupported operand type(s) for " + op + ": '" + Py.typeName(l) + "' and '"
                + Py.typeName(r) + "'");
    }

    private static boolean isInt(Value v) {
        return v instanceof Int || v instanceof Value.Bool;
    }

    private static Value repeat(Interpreter in, Value seq, Value times) {
        BigInteger n = Py.toBigInt(times);
        long count = n.signum() <= 0 ? 0 : n.bitLength() > 40 ? Long.MAX_VALUE : n.longValue();
        if (seq instanceof Str s) {
            long total = count == 0 ? 0 : (long) Math.min(Long.MAX_VALUE / Math.max(1, s.s().length()), count) * s.s().length();
            in.checkLength(total);
            return new Str(s.s().repeat((int) count == 0 ? 0 : (int) count));
        }
        Seq q = (Seq) seq;
        long total = count == 0 ? 0 : (long) Math.min(Long.MAX_VALUE / Math.max(1, q.items().size()), count) * q.items().size();
        if (total > in.limits().maxRange()) {
            throw new TemplateException(Kind.LimitExceeded, "a list of " + total + " items exceeds the limit of "
                    + in.limits().maxRange());
        }
        List<Value> out = new ArrayList<>((int) total);
        for (long k = 0; k < count; k++) out.addAll(q.items());
        return new Seq(out, q.tuple());
    }

    static Value numeric(String op, Value l, Value r) {
        boolean floating = l instanceof Float || r instanceof Float;
        if (floating) {
            double a = Py.toDouble(l), b = Py.toDouble(r);
            return switch (op) {
                case "+" -> new Float(a + b);
                case "-" -> new Float(a - b);
                case "*" -> new Float(a * b);
                case "/" -> {
                    if (b == 0) throw new TemplateException(Kind.ZeroDivisionError, "float division by zero");
                    yield new Float(a / b);
                }
                case "//" -> {
                    if (b == 0) throw new TemplateException(Kind.ZeroDivisionError, "float floor division by zero");
                    yield new Float(floatFloorDiv(a, b));
                }
                case "%" -> {
                    if (b == 0) throw new TemplateException(Kind.ZeroDivisionError, "float modulo");
                    double m = a % b;
                    if (m != 0) {
                        if ((b < 0) != (m < 0)) m += b;
                    } else {
                        m = Math.copySign(0.0, b);
                    }
                    yield new Float(m);
                }
                case "**" -> {
                    if (a == 0 && b < 0) throw new TemplateException(Kind.ZeroDivisionError, "0.0 cannot be raised to a negative power");
                    double power = Math.pow(a, b);
                    if (Double.isInfinite(power) && !Double.isInfinite(a) && !Double.isInfinite(b)) {
                        throw new TemplateException(Kind.OverflowError, "(34, 'Numerical result out of range')");
                    }
                    yield new Float(power);
                }
                default -> throw TemplateException.typeError("unknown operator " + op);
            };
        }
        BigInteger a = Py.toBigInt(l), b = Py.toBigInt(r);
        return switch (op) {
            case "+" -> Py.checkedInt(a.add(b));
            case "-" -> Py.checkedInt(a.subtract(b));
            case "*" -> {
                if ((long) a.bitLength() + b.bitLength() > Py.MAX_INT_BITS) {
                    throw new TemplateException(Kind.LimitExceeded, "integer result too large");
                }
                yield new Int(a.multiply(b));
            }
            case "/" -> {
                if (b.signum() == 0) throw new TemplateException(Kind.ZeroDivisionError, "division by zero");
                yield new Float(Py.divide(a, b));
            }
            case "//" -> {
                if (b.signum() == 0) throw new TemplateException(Kind.ZeroDivisionError, "integer division or modulo by zero");
                yield new Int(floorDiv(a, b));
            }
            case "%" -> {
                if (b.signum() == 0) throw new TemplateException(Kind.ZeroDivisionError, "integer division or modulo by zero");
                yield new Int(a.subtract(floorDiv(a, b).multiply(b)));
            }
            case "**" -> {
                if (b.signum() < 0 && a.signum() == 0) {
                    throw new TemplateException(Kind.ZeroDivisionError, "0.0 cannot be raised to a negative power");
                }
                if (b.signum() < 0) yield new Float(Math.pow(a.doubleValue(), b.doubleValue()));
                if (a.abs().compareTo(BigInteger.ONE) <= 0) {
                    // 0, 1 and -1 to any power stay small, however large the exponent
                    if (a.signum() == 0) yield b.signum() == 0 ? Int.ONE : Int.ZERO;
                    if (a.signum() > 0) yield Int.ONE;
                    yield b.testBit(0) ? Int.of(-1) : Int.ONE;
                }
                if (b.bitLength() > 31 || (long) a.bitLength() * b.longValue() > Py.MAX_INT_BITS) {
                    throw new TemplateException(Kind.LimitExceeded, "integer result too large");
                }
                yield new Int(a.pow(b.intValue()));
            }
            default -> throw TemplateException.typeError("unknown operator " + op);
        };
    }

    /** CPython's float floor division: derived from fmod so that it agrees with % (1e3 // 0.1 is 9999.0). */
    static double floatFloorDiv(double a, double b) {
        double mod = a % b;
        double div = (a - mod) / b;
        if (mod != 0 && (b < 0) != (mod < 0)) div -= 1.0;
        if (div == 0) return Math.copySign(0.0, a / b);
        double floor = Math.floor(div);
        if (div - floor > 0.5) floor += 1.0;
        return floor;
    }

    static BigInteger floorDiv(BigInteger a, BigInteger b) {
        BigInteger[] qr = a.divideAndRemainder(b);
        if (qr[1].signum() != 0 && (qr[1].signum() != b.signum())) return qr[0].subtract(BigInteger.ONE);
        return qr[0];
    }
}
