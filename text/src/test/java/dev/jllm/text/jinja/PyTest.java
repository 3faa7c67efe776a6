package dev.jllm.text.jinja;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The value model against Python's own results (expected strings are CPython 3 outputs). */
class PyTest {

    @Test
    void floatReprMatchesPython() {
        Map<Double, String> cases = new LinkedHashMap<>();
        cases.put(0.1, "0.1");
        cases.put(1.0 / 3, "0.3333333333333333");
        cases.put(1e22, "1e+22");
        cases.put(1e16, "1e+16");
        cases.put(9999999999999998.0, "9999999999999998.0");
        cases.put(1e-5, "1e-05");
        cases.put(0.0001, "0.0001");
        cases.put(123456789.123, "123456789.123");
        cases.put(1.7976931348623157e308, "1.7976931348623157e+308");
        cases.put(-2.5, "-2.5");
        cases.put(100.0, "100.0");
        cases.put(1e15, "1000000000000000.0");
        cases.put(2.0 / 3 * 1e-10, "6.666666666666667e-11");
        cases.put(1.5e300, "1.5e+300");
        cases.put(0.30000000000000004, "0.30000000000000004");
        cases.put(12345.678e10, "123456780000000.0");
        cases.put(4.35, "4.35");
        cases.put(1e100, "1e+100");
        cases.put(0.0, "0.0");
        cases.put(-0.0, "-0.0");
        cases.put(Double.NaN, "nan");
        cases.put(Double.POSITIVE_INFINITY, "inf");
        cases.put(Double.NEGATIVE_INFINITY, "-inf");
        cases.forEach((d, expected) -> assertEquals(expected, Py.floatRepr(d), "repr(" + d + ")"));
    }

    @Test
    void reprOfStringsAndContainers() {
        assertEquals("'abc'", Py.reprString("abc"));
        assertEquals("\"it's\"", Py.reprString("it's"));
        assertEquals("'both \\' \"'", Py.reprString("both ' \""));
        assertEquals("'a\\nb\\tc\\\\'", Py.reprString("a\nb\tc\\"));
        assertEquals("'\\x00\\x7f\\u200b\\U000e0001'", Py.reprString("\u0000\u007f\u200b" + Character.toString(0xE0001)));
        assertEquals("'héllo 日本 😀'", Py.reprString("héllo 日本 😀"));
        Value v = Py.of(List.of(1, "a", Map.of("k", List.of()), true, 1.5));
        assertEquals("[1, 'a', {'k': []}, True, 1.5]", Py.str(v));
        assertEquals("(1,)", Py.repr(Value.Seq.tuple(Value.Int.of(1))));
        assertEquals("None", Py.str(Value.NONE));
        assertEquals("", Py.str(new Value.Undefined("x")));
    }

    @Test
    void jsonDumpsSpacing() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", List.of(1, 2.0, "é\"\n\u0001"));
        m.put("b", Map.of());
        m.put("c", null);
        assertEquals("{\"a\": [1, 2.0, \"é\\\"\\n\\u0001\"], \"b\": {}, \"c\": null}", Py.toJson(Py.of(m), null, null, null, false));
        assertEquals("{\n  \"a\": [\n    1,\n    2.0,\n    \"é\\\"\\n\\u0001\"\n  ],\n  \"b\": {},\n  \"c\": null\n}",
                Py.toJson(Py.of(m), "  ", null, null, false));
        assertEquals("{\"c\":null,\"b\":{},\"a\":[1,2.0,\"é\\\"\\n\\u0001\"]}".length(),
                Py.toJson(Py.of(m), null, ",", ":", true).length());
    }

    @Test
    void equalityAndOrderingFollowPython() {
        assertTrue(Py.eq(Value.Int.of(1), new Value.Float(1.0)));
        assertTrue(Py.eq(Value.TRUE, Value.Int.of(1)));
        assertFalse(Py.eq(Py.of(List.of(1)), Value.Seq.tuple(Value.Int.of(1))));
        assertTrue(Py.eq(Py.of(Map.of("a", 1)), Py.of(Map.of("a", 1.0))));
        assertTrue(Py.compare(Value.str("a"), Value.str("b"), "<") < 0);
        assertTrue(Py.compare(Value.str("\uffff"), Value.str("😀"), "<") < 0, "code point order, not UTF-16 order");
        assertTrue(Py.compare(new Value.Int(BigInteger.TEN.pow(30)), new Value.Float(1e29), "<") > 0);
    }

    @Test
    void lengthAndIterationCountCodePoints() {
        assertEquals(3, Py.len(Value.str("a😀b")));
        assertEquals(List.of(Value.str("a"), Value.str("😀")), Py.iterate(Value.str("a😀")));
    }

    @Test
    void conversionsFromJava() {
        assertEquals(Value.Int.of(5), Py.of(5));
        assertEquals(Value.Int.of(5), Py.of(5L));
        assertEquals(new Value.Float(0.5), Py.of(0.5));
        assertEquals(Value.NONE, Py.of(null));
        assertEquals("[1, 2]", Py.str(Py.of(new int[]{1, 2})));
    }
}
