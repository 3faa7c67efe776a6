package dev.jllm.train.schedule;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import static dev.jllm.train.schedule.LrSchedule.Type.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Each schedule against its closed form in transformers' optimization.py. */
class LrScheduleTest {
    private static final double LR = 2e-3;

    @Test
    void warmupIsLinearFromZeroForEveryWarmupSchedule() {
        for (var type : new LrSchedule.Type[]{LINEAR, COSINE, COSINE_WITH_RESTARTS, POLYNOMIAL, CONSTANT_WITH_WARMUP, INVERSE_SQRT}) {
            var s = LrSchedule.of(type, LR, 4, 20);
            for (int step = 0; step < 4; step++) assertEquals(LR * step / 4.0, s.lr(step), 1e-18, type + " step " + step);
        }
    }

    @Test
    void constantIgnoresWarmup() {
        var s = LrSchedule.of(CONSTANT, LR, 4, 20);
        for (int step = 0; step < 25; step++) assertEquals(LR, s.lr(step));
    }

    @Test
    void linearDecaysToZero() {
        var s = LrSchedule.of(LINEAR, LR, 4, 20);
        assertEquals(LR, s.lr(4), 1e-18);
        assertEquals(LR * 6 / 16.0, s.lr(14), 1e-18);
        assertEquals(0, s.lr(20));
        assertEquals(0, s.lr(30));
    }

    @Test
    void cosineMatchesTheReferenceRun() {
        // training/fullft: warmup 2 of 6 steps, lr 1e-3.
        var s = LrSchedule.of(COSINE, 1e-3, 2, 6);
        double[] logged = {0.0, 0.0005, 0.001, 0.0008535533905932737, 0.0005, 0.00014644660940672628};
        for (int i = 0; i < logged.length; i++) assertEquals(logged[i], s.lr(i), 1e-18);
    }

    @Test
    void cosineWithRestartsRestartsEachCycle() {
        var s = new LrSchedule(COSINE_WITH_RESTARTS, LR, 0, 20, 2, 1e-7, 1, 0);
        assertEquals(LR, s.lr(0), 1e-18);
        assertEquals(LR * 0.5 * (1 + Math.cos(Math.PI * 0.5)), s.lr(5), 1e-15);
        assertEquals(LR, s.lr(10), 1e-15); // restart
        assertEquals(0, s.lr(20));
    }

    @Test
    void polynomialDecaysToLrEnd() {
        var s = new LrSchedule(POLYNOMIAL, LR, 2, 12, 0, 1e-5, 2.0, 0);
        int step = 7;
        double remaining = 1 - (step - 2) / 10.0;
        assertEquals((LR - 1e-5) * remaining * remaining + 1e-5, s.lr(step), 1e-18);
        assertEquals(1e-5, s.lr(12), 1e-18);
        assertEquals(1e-5, s.lr(13), 1e-18);
        assertThrows(JllmException.class, () -> new LrSchedule(POLYNOMIAL, 1e-8, 0, 5, 0, 1e-7, 1, 0));
    }

    @Test
    void inverseSqrtUsesWarmupAsTimescale() {
        var s = LrSchedule.of(INVERSE_SQRT, LR, 4, 100);
        assertEquals(LR, s.lr(4), 1e-18);
        assertEquals(LR / Math.sqrt(4), s.lr(16), 1e-18);
        var noWarmup = LrSchedule.of(INVERSE_SQRT, LR, 0, 100);
        assertEquals(LR / Math.sqrt(1.5), noWarmup.lr(5000), 1e-18);
    }

    @Test
    void warmupRatioRoundsUp() {
        assertEquals(3, LrSchedule.warmupSteps(0, 0.1, 21));
        assertEquals(5, LrSchedule.warmupSteps(5, 0.5, 21));
        assertThrows(JllmException.class, () -> LrSchedule.warmupSteps(0, 1.5, 10));
    }

    @Test
    void unknownTypeNamesTheChoices() {
        var e = assertThrows(JllmException.class, () -> LrSchedule.Type.parse("cosine_annealing"));
        assertEquals(true, e.getMessage().contains("cosine_with_restarts"));
    }
}
