package dev.jllm.model.arch;

import dev.jllm.model.config.RopeScaling;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class RopeTest {
    @Test
    void defaultFrequencies() {
        float[] inv = new Rope(8, 10000, new RopeScaling.None(), 2048).inverseFrequencies(1);
        for (int i = 0; i < 4; i++) assertEquals(Math.pow(10000, -2.0 * i / 8), inv[i], 1e-7);
    }

    @Test
    void linearDividesEveryFrequency() {
        float[] base = new Rope(8, 10000, new RopeScaling.None(), 2048).inverseFrequencies(1);
        float[] lin = new Rope(8, 10000, new RopeScaling.Linear(4), 2048).inverseFrequencies(1);
        for (int i = 0; i < 4; i++) assertEquals(base[i] / 4, lin[i], 1e-9);
    }

    @Test
    void dynamicOnlyBeyondMaxPositions() {
        Rope r = new Rope(8, 10000, new RopeScaling.Dynamic(2), 100);
        assertArrayEquals(new Rope(8, 10000, new RopeScaling.None(), 100).inverseFrequencies(1), r.inverseFrequencies(100));
        double base = 10000 * Math.pow(2.0 * 200 / 100 - 1, 8 / 6.0);
        float[] inv = r.inverseFrequencies(200);
        for (int i = 0; i < 4; i++) assertEquals(Math.pow(base, -2.0 * i / 8), inv[i], 1e-7);
    }

    @Test
    void rotationMatchesRotateHalf() {
        Rope rope = new Rope(4, 10000, new RopeScaling.None(), 64);
        Rope.Table t = rope.table(3, 1);
        float[] x = {1, 2, 3, 4};
        t.rotate(x, 0, 1, 0);
        double a0 = 3 * 1.0, a1 = 3 * Math.pow(10000, -0.5);
        assertEquals(1 * Math.cos(a0) - 3 * Math.sin(a0), x[0], 1e-6);
        assertEquals(2 * Math.cos(a1) - 4 * Math.sin(a1), x[1], 1e-6);
        assertEquals(3 * Math.cos(a0) + 1 * Math.sin(a0), x[2], 1e-6);
        assertEquals(4 * Math.cos(a1) + 2 * Math.sin(a1), x[3], 1e-6);
    }
}
