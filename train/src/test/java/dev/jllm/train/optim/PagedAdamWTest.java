package dev.jllm.train.optim;

import dev.jllm.train.nn.Parameter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code paged_adamw_32bit}: AdamW's update bit for bit, with the moments in unlinked memory-mapped files. */
class PagedAdamWTest {
    @TempDir
    Path dir;

    /** Sizes below, at and across the copy chunk (16384), with and without decay. */
    private static List<ParamGroup> groups(long seed) {
        Random r = new Random(seed);
        var out = new ArrayList<ParamGroup>();
        int[] sizes = {3, 16384, 16389, 40000};
        for (int i = 0; i < sizes.length; i++) {
            Parameter p = Parameter.zeros("p" + i, sizes[i]);
            p.setTrainable(true);
            for (int k = 0; k < sizes[i]; k++) p.value()[k] = (float) r.nextGaussian();
            out.add(new ParamGroup(p, i % 2 == 0 ? 0.01 : 0.0));
        }
        return out;
    }

    private static void gradients(List<ParamGroup> groups, int step) {
        Random r = new Random(100 + step);
        for (ParamGroup g : groups) {
            float[] grad = g.parameter().grad();
            for (int k = 0; k < grad.length; k++) grad[k] = (float) (r.nextGaussian() * Math.pow(10, -r.nextInt(4)));
        }
    }

    private static void assertSameParameters(List<ParamGroup> want, List<ParamGroup> got, String what) {
        for (int i = 0; i < want.size(); i++) assertArrayEquals(want.get(i).parameter().value(), got.get(i).parameter().value(), what + " " + i);
    }

    @Test
    void pagedStateGivesAdamWsResultsBitForBitAndLeavesNoFile() throws Exception {
        var heapGroups = groups(1);
        var pagedGroups = groups(1);
        AdamW heap = new AdamW(heapGroups, 0.9, 0.999, 1e-8);
        AdamW paged = AdamW.paged(pagedGroups, 0.9, 0.999, 1e-8, dir);
        assertTrue(paged.isPaged());
        assertFalse(heap.isPaged());
        try (var files = Files.list(dir)) {
            assertEquals(0, files.count(), "the state files are unlinked as soon as they are mapped");
        }
        for (int step = 0; step < 5; step++) {
            gradients(heapGroups, step);
            gradients(pagedGroups, step);
            heap.step(1e-3 * (step + 1));
            paged.step(1e-3 * (step + 1));
            assertSameParameters(heapGroups, pagedGroups, "step " + step);
        }
        for (int i = 0; i < heapGroups.size(); i++) {
            assertArrayEquals(heap.firstMoment(i), paged.firstMoment(i));
            assertArrayEquals(heap.secondMoment(i), paged.secondMoment(i));
        }
        var hs = heap.state();
        var ps = paged.state();
        assertEquals(hs.keySet(), ps.keySet());
        for (String k : hs.keySet()) assertArrayEquals(hs.get(k), ps.get(k), k);
    }

    @Test
    void pagedStateRestoresAndContinuesExactly() {
        var whole = groups(2);
        AdamW uninterrupted = AdamW.paged(whole, 0.9, 0.95, 1e-6, dir);
        var first = groups(2);
        AdamW before = AdamW.paged(first, 0.9, 0.95, 1e-6, dir);
        for (int step = 0; step < 3; step++) {
            gradients(whole, step);
            gradients(first, step);
            uninterrupted.step(2e-3);
            before.step(2e-3);
        }
        var saved = new java.util.HashMap<String, float[]>();
        before.state().forEach((k, v) -> saved.put(k, v.clone()));
        var resumedGroups = groups(99);   // other starting values: restore the parameters as a checkpoint does
        for (int i = 0; i < first.size(); i++) {
            System.arraycopy(first.get(i).parameter().value(), 0, resumedGroups.get(i).parameter().value(), 0, first.get(i).parameter().size());
        }
        AdamW resumed = AdamW.paged(resumedGroups, 0.9, 0.95, 1e-6, dir);
        resumed.restore(saved, before.steps());
        for (int step = 3; step < 6; step++) {
            gradients(whole, step);
            gradients(resumedGroups, step);
            uninterrupted.step(2e-3);
            resumed.step(2e-3);
        }
        assertEquals(6, resumed.steps());
        assertSameParameters(whole, resumedGroups, "resumed");
    }
}
