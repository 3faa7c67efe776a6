package dev.jllm.train.optim;

import dev.jllm.core.JllmException;
import dev.jllm.core.quant.bnb.DynamicMap;
import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Random;

import static dev.jllm.train.FloatAsserts.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdamW8bitTest {
    @TempDir
    Path dir;

    private static Parameter param(String name, int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        Parameter p = new Parameter(name, new int[]{n}, v);
        p.setTrainable(true);
        return p;
    }

    private static void grads(Parameter p, long seed) {
        Random r = new Random(seed);
        double scale = 1e-2 * (1 + seed % 3);
        for (int i = 0; i < p.size(); i++) p.grad()[i] = (float) (r.nextGaussian() * scale);
    }

    /** Largest gap between neighbouring values of a map: twice the worst relative rounding error of a code. */
    private static float largestGap(float[] map) {
        float gap = 0;
        for (int i = 1; i < map.length; i++) gap = Math.max(gap, map[i] - map[i - 1]);
        return gap;
    }

    @Test
    void unsignedMapIsBitsandbytesCreateDynamicMapUnsigned() {
        float[] u = DynamicMap.unsigned8bit();
        assertEquals(256, u.length);
        assertEquals(0f, u[0]);
        assertEquals(1f, u[255]);
        for (int i = 1; i < 256; i++) assertTrue(u[i] > u[i - 1], "strictly ascending at " + i);
        // smallest decade 1e-6 has 2 means of linspace(0.1, 1, 3): 0.325e-6, 0.775e-6
        assertEquals(1e-6f * 0.325f, u[1], 1e-12f);
        assertEquals(1e-6f * 0.775f, u[2], 1e-12f);
        // top decade: 128 means of linspace(0.1, 1, 129), the last (1 + 1 - 0.9/128) / 2
        assertEquals((1f + (1f - 0.9f / 128)) / 2, u[254], 1e-6f);
    }

    @Test
    void quantizeDequantizeRoundTripIsWithinTheMapResolution() {
        Random r = new Random(3);
        float[] signed = new float[1000], positive = new float[1000];
        for (int i = 0; i < signed.length; i++) {
            signed[i] = (float) (r.nextGaussian() * Math.pow(10, -r.nextInt(3)));
            positive[i] = signed[i] * signed[i];
        }
        check(signed, true, DynamicMap.signed8bit());
        check(positive, false, DynamicMap.unsigned8bit());
        // an all-zero block stays exactly zero
        var zeros = AdamW8bit.quantize(new float[300], true);
        assertArrayEquals(new float[300], zeros.dequantize());
    }

    private static void check(float[] values, boolean signed, float[] map) {
        var q = AdamW8bit.quantize(values, signed);
        assertEquals(4, q.absmax().length);
        float[] back = q.dequantize();
        float half = largestGap(map) / 2;
        for (int i = 0; i < values.length; i++) {
            float absmax = q.absmax()[i / AdamW8bit.BLOCK_SIZE];
            assertEquals(values[i], back[i], half * absmax * 1.0001f, "element " + i);
            // the code is the nearest map value: no other code reconstructs closer
            float scaled = values[i] / absmax;
            float chosen = Math.abs(map[q.codes()[i] & 0xff] - scaled);
            for (float m : map) assertTrue(chosen <= Math.abs(m - scaled), "element " + i + " not rounded to nearest");
        }
        // no reconstruction exceeds its block's absmax; the unsigned map ends at 1, so a block's maximum is exact
        for (int b = 0; b < q.absmax().length; b++) {
            float best = 0;
            for (int i = b * 256; i < Math.min(values.length, b * 256 + 256); i++) best = Math.max(best, Math.abs(back[i]));
            assertTrue(best <= q.absmax()[b]);
            if (!signed) assertEquals(q.absmax()[b], best);
        }
    }

    @Test
    void oneStepMatchesFullPrecisionAdamWWithinQuantizationError() {
        int n = 5000;                           // above min_8bit_size, last block partial
        Parameter a = param("w", n, 1), b = param("w", n, 1);
        var exact = new AdamW(List.of(new ParamGroup(a, 0.01)));
        var eight = AdamW8bit.inMemory(List.of(new ParamGroup(b, 0.01)), 0.9, 0.999, 1e-8);
        assertEquals(1, eight.quantizedParameters());
        double lr = 1e-3;
        for (int step = 1; step <= 3; step++) {
            grads(a, 10 + step);
            grads(b, 10 + step);
            exact.step(lr);
            eight.step(lr);
            float[][] mv = eight.moments(0);
            for (int i = 0; i < n; i++) {
                // moments: one rounding per step of at most half a map gap times the block's absmax (float32 math aside)
                double m = exact.firstMoment(0)[i], v = exact.secondMoment(0)[i];
                assertEquals(m, mv[0][i], step * 0.02 * absmaxOf(exact.firstMoment(0), i) + 1e-6 * Math.abs(m), "m[" + i + "] step " + step);
                assertEquals(v, mv[1][i], step * 0.02 * absmaxOf(exact.secondMoment(0), i) + 1e-6 * v, "v[" + i + "] step " + step);
            }
        }
        // after the steps, every parameter moved by at most lr per step in both; they agree far closer than that
        double worst = 0;
        for (int i = 0; i < n; i++) worst = Math.max(worst, Math.abs(a.value()[i] - b.value()[i]));
        assertTrue(worst < 0.3 * 3 * lr, "largest parameter difference " + worst);
        assertEquals(3, eight.steps());
    }

    private static double absmaxOf(float[] x, int i) {
        int from = i / 256 * 256;
        double m = 0;
        for (int k = from; k < Math.min(x.length, from + 256); k++) m = Math.max(m, Math.abs(x[k]));
        return m;
    }

    @Test
    void firstStepOfTheEightBitPathFollowsTheKernelFormula() {
        // on step one the update uses the freshly computed float32 moments, before they are requantized
        Parameter p = param("w", 4096, 5);
        float[] before = p.value().clone();
        var opt = AdamW8bit.inMemory(List.of(new ParamGroup(p, 0.1)), 0.9, 0.999, 1e-8);
        grads(p, 6);
        double lr = 0.01;
        opt.step(lr);
        float c1 = 1f - (float) Math.pow(0.9f, 1), c2 = (float) Math.sqrt(1 - (double) 0.999f);   // betas are float32 in the kernel
        float stepSize = (float) (-lr * c2 / c1);
        for (int i = 0; i < p.size(); i++) {
            float g = (float) p.grad()[i];
            float m = (1f - 0.9f) * g, v = (1f - 0.999f) * g * g;
            float stepped = before[i] + stepSize * (m / ((float) Math.sqrt(v) + 1e-8f * c2));
            float expected = (float) (stepped * (1 - lr * 0.1));
            assertEquals(expected, p.value()[i], 0f, "element " + i);
        }
    }

    @Test
    void tensorsBelowMin8bitSizeAreBitIdenticalToAdamW() {
        Parameter a = param("small", 4095, 2), b = param("small", 4095, 2);
        Parameter c = param("bias", 7, 3), d = param("bias", 7, 3);
        var exact = new AdamW(List.of(new ParamGroup(a, 0.1), new ParamGroup(c, 0)), 0.9, 0.95, 1e-6);
        var eight = AdamW8bit.paged(List.of(new ParamGroup(b, 0.1), new ParamGroup(d, 0)), 0.9, 0.95, 1e-6, dir);
        assertEquals(0, eight.quantizedParameters());
        for (int step = 1; step <= 4; step++) {
            grads(a, step); grads(b, step); grads(c, 50 + step); grads(d, 50 + step);
            exact.step(1e-2 / step);
            eight.step(1e-2 / step);
            assertArrayEquals(a.value(), b.value());
            assertArrayEquals(c.value(), d.value());
        }
    }

    @Test
    void pagedStateIsInUnlinkedMappedFilesAndUpdatesLikeTheHeapState() throws Exception {
        Parameter a = param("w", 9000, 4), b = param("w", 9000, 4);
        var heap = AdamW8bit.inMemory(List.of(new ParamGroup(a, 0.01)), 0.9, 0.999, 1e-8);
        var paged = AdamW8bit.paged(List.of(new ParamGroup(b, 0.01)), 0.9, 0.999, 1e-8, dir);
        assertTrue(paged.isPaged());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "state files are unlinked once mapped");
        }
        for (int step = 1; step <= 3; step++) {
            grads(a, step);
            grads(b, step);
            heap.step(1e-3);
            paged.step(1e-3);
        }
        assertArrayEquals(a.value(), b.value());
        assertEquals(heap.state().keySet(), paged.state().keySet());
        for (var e : heap.state().entrySet()) assertArrayEquals(e.getValue(), paged.state().get(e.getKey()), e.getKey());
    }

    @Test
    void stateRestoresExactly() {
        Parameter a = param("w", 6000, 7), small = param("b", 10, 8);
        var first = AdamW8bit.inMemory(List.of(new ParamGroup(a, 0.01), new ParamGroup(small, 0)), 0.9, 0.999, 1e-8);
        for (int s = 1; s <= 2; s++) { grads(a, s); grads(small, s + 20); first.step(1e-3); }
        var saved = new HashMap<String, float[]>();
        for (var e : first.state().entrySet()) saved.put(e.getKey(), e.getValue().clone());
        assertTrue(saved.containsKey("state1/w") && saved.containsKey("absmax2/w") && saved.containsKey("exp_avg/b"));

        Parameter a2 = new Parameter("w", new int[]{6000}, a.value().clone());
        Parameter small2 = new Parameter("b", new int[]{10}, small.value().clone());
        a2.setTrainable(true);
        small2.setTrainable(true);
        var resumed = AdamW8bit.paged(List.of(new ParamGroup(a2, 0.01), new ParamGroup(small2, 0)), 0.9, 0.999, 1e-8, dir);
        resumed.restore(saved, first.steps());
        grads(a, 3); grads(small, 23); grads(a2, 3); grads(small2, 23);
        first.step(1e-3);
        resumed.step(1e-3);
        assertArrayEquals(a.value(), a2.value());
        assertArrayEquals(small.value(), small2.value());
        assertEquals(3, resumed.steps());
    }

    @Test
    void badSavedStateIsRejectedByName() {
        Parameter a = param("w", 4096, 7);
        var opt = AdamW8bit.inMemory(List.of(new ParamGroup(a, 0)), 0.9, 0.999, 1e-8);
        var state = new HashMap<>(opt.state());
        state.put("state1/w", new float[4096]);
        state.get("state1/w")[17] = 256;
        var e = assertThrows(JllmException.class, () -> opt.restore(state, 1));
        assertTrue(e.getMessage().contains("state1/w") && e.getMessage().contains("[17]"), e.getMessage());
        state.remove("absmax1/w");
        assertThrows(JllmException.class, () -> opt.restore(state, 1));
    }

    @Test
    void tinyNegativeFirstMomentsKeepTheirSign() {
        float[] x = {1f, -1e-9f, 1e-9f, -0.5f};
        var q = AdamW8bit.quantize(x, true);
        float[] back = q.dequantize();
        assertTrue(back[1] < 0, "negative stays negative: " + back[1]);
        assertEquals(0f, back[2]);
        assertTrue(back[3] < 0);
    }

    @Test
    void nonFiniteGradientResetsTheElementsStateAndKeepsItsWeight() {
        Parameter p = param("w", 4096, 9);
        var opt = AdamW8bit.inMemory(List.of(new ParamGroup(p, 0.1)), 0.9, 0.999, 1e-8);
        grads(p, 1);
        opt.step(1e-3);
        assertTrue(opt.moments(0)[0][3] != 0f);
        double kept = p.value()[3];
        grads(p, 2);
        p.grad()[3] = Float.NaN;
        opt.step(1e-3);
        assertEquals(kept, p.value()[3]);
        assertEquals(0f, opt.moments(0)[0][3]);
        assertEquals(0f, opt.moments(0)[1][3]);
        for (double w : p.value()) assertTrue(Double.isFinite(w));
    }

    @Test
    void fastCodeLookupAgreesWithAnExhaustiveSearch() {
        Random r = new Random(11);
        for (float[] map : new float[][]{DynamicMap.signed8bit(), DynamicMap.unsigned8bit()}) {
            float[] probes = new float[20000];
            for (int i = 0; i < probes.length; i++) {
                probes[i] = switch (i % 4) {
                    case 0 -> map[r.nextInt(256)];                                   // exact codes
                    case 1 -> (map[r.nextInt(255)] + map[r.nextInt(255) + 1]) / 2;   // midpoints
                    case 2 -> (float) (r.nextGaussian() * Math.pow(10, -r.nextInt(9)));
                    default -> r.nextFloat() * 2.2f - 1.1f;                          // beyond ±1 too
                };
            }
            for (float x : probes) {
                int best = 0;
                for (int k = 1; k < 256; k++) if (Math.abs(map[k] - x) < Math.abs(map[best] - x)) best = k;
                int got = AdamW8bit.nearest(map, x);
                assertEquals(Math.abs(map[best] - x), Math.abs(map[got] - x), 0f, "x = " + x);
            }
            assertEquals(0f, map[AdamW8bit.nearest(map, -0f)]);
        }
    }
}
