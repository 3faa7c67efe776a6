package dev.jllm.eval.text;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PyStringsTest {
    @Test
    void splitsOnPythonWhitespace() {
        assertEquals(List.of("a", "b", "c", "d"), PyStrings.split(" a\u00a0b\u2007c\u0085d\u3000 "));
        assertEquals(List.of(), PyStrings.split(" \t\n"));
        assertEquals(List.of("a\u200bb"), PyStrings.split("a\u200bb")); // zero-width space is not whitespace
    }

    @Test
    void stripsLikePython() {
        assertEquals("  x", PyStrings.rstrip("  x \u00a0\n"));
        assertEquals("x", PyStrings.strip("\u2028x\u202f"));
        assertEquals(1, PyStrings.length("\uD83D\uDE00"));
    }
}
