package dev.jllm.core.quant.bnb;

import dev.jllm.core.kernel.Simd;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CodeSearchTest {
    /** The rule spelled out: binary search for the last value at or below x, then the nearer neighbour, lower on a tie. */
    private static int reference(float[] map, float x, boolean keepSign) {
        int lo = 0, hi = map.length - 1;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            if (map[mid] <= x) lo = mid;
            else hi = mid;
        }
        int c;
        if (x <= map[lo]) c = lo;
        else if (x >= map[hi]) c = hi;
        else c = x - map[lo] <= map[hi] - x ? lo : hi;
        if (keepSign && (Math.copySign(1f, map[c]) < 0) != (Math.copySign(1f, x) < 0)) c += x > 0f ? 1 : -1;
        return c;
    }

    private static float[] probeValues(float[] map) {
        Random r = new Random(11);
        var v = new ArrayList<Float>();
        for (float m : map) {
            v.add(m);
            v.add(Math.nextUp(m));
            v.add(Math.nextDown(m));
        }
        for (int i = 0; i + 1 < map.length; i++) {
            float mid = (map[i] + map[i + 1]) / 2f;
            v.add(mid);
            v.add(Math.nextUp(mid));
            v.add(Math.nextDown(mid));
        }
        for (float f : new float[]{0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1f, -1f, 1e-30f, -1e-30f, 2f, -2f}) v.add(f);
        for (int i = 0; i < 40_000; i++) {
            v.add((float) (r.nextDouble() * 2 - 1));
            v.add((float) (Math.pow(10, -9 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1)));
        }
        v.add(3e-9f);   // an odd count: the scalar tail runs too
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) out[i] = v.get(i);
        return out;
    }

    @Test
    void everyValueGetsTheCodeTheRuleGivesInScalarAndVectorForm() {
        for (boolean signed : new boolean[]{true, false}) {
            CodeSearch search = signed ? CodeSearch.signed() : CodeSearch.unsigned();
            float[] map = signed ? DynamicMap.signed8bit() : DynamicMap.unsigned8bit();
            float[] x = probeValues(map);
            for (float divisor : new float[]{1f, 0.37f, 3e-5f}) {
                byte[] vector = new byte[x.length];
                boolean was = Simd.enabled();
                try {
                    Simd.setEnabled(true);
                    search.codes(x, x.length, divisor, vector);
                } finally {
                    Simd.setEnabled(was);
                }
                for (int i = 0; i < x.length; i++) {
                    float q = x[i] / divisor;
                    int want = reference(map, q, signed);
                    assertEquals(want, search.code(q), "scalar, signed " + signed + ", x " + q);
                    assertEquals(want, vector[i] & 0xff, "vector, signed " + signed + ", x " + q);
                }
            }
        }
    }

    @Test
    void nonFiniteLanesFallBackToTheScalarRule() {
        CodeSearch search = CodeSearch.signed();
        float[] x = new float[40];
        for (int i = 0; i < x.length; i++) x[i] = i / 40f;
        x[3] = Float.NaN;
        x[17] = Float.POSITIVE_INFINITY;
        x[33] = Float.NEGATIVE_INFINITY;
        byte[] out = new byte[x.length];
        search.codes(x, x.length, 1f, out);
        for (int i = 0; i < x.length; i++) assertEquals(search.code(x[i]), out[i] & 0xff, "x " + x[i]);
    }

    @Test
    void refusesAMapThatIsNotAscending() {
        float[] map = DynamicMap.unsigned8bit();
        map[10] = 5f;
        assertThrows(IllegalArgumentException.class, () -> CodeSearch.of(map, false));
        assertThrows(IllegalArgumentException.class, () -> CodeSearch.of(new float[3], false));
    }

}
