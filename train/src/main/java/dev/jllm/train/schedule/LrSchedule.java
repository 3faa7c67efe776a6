package dev.jllm.train.schedule;

import dev.jllm.core.JllmException;

import java.util.Arrays;
import java.util.Locale;

/**
 * transformers' learning-rate schedules ({@code optimization.py}): the multiplier of the base learning rate
 * used by the optimizer update with 0-based index {@code step}. With warmup, update 0 therefore runs at lr 0.
 *
 * @param numCycles cosine: number of half-waves × 2 (0.5 decays once to 0); cosine_with_restarts: restart count
 * @param lrEnd     polynomial: final learning rate (absolute, not a ratio)
 * @param power     polynomial: exponent
 * @param timescale inverse_sqrt: decay time scale; 0 means transformers' default (warmup steps, or 10000)
 */
public record LrSchedule(Type type, double baseLr, int warmupSteps, int totalSteps, double numCycles, double lrEnd,
                         double power, int timescale) {

    /** {@code lr_scheduler_type} values, with their transformers spelling. */
    public enum Type {
        LINEAR("linear"), COSINE("cosine"), COSINE_WITH_RESTARTS("cosine_with_restarts"), POLYNOMIAL("polynomial"),
        CONSTANT("constant"), CONSTANT_WITH_WARMUP("constant_with_warmup"), INVERSE_SQRT("inverse_sqrt");

        private final String hfName;

        Type(String hfName) {
            this.hfName = hfName;
        }

        public String hfName() {
            return hfName;
        }

        public static Type parse(String name) {
            for (Type t : values()) if (t.hfName.equals(name.toLowerCase(Locale.ROOT))) return t;
            throw new JllmException("lr_scheduler_type '" + name + "' is not one of "
                    + Arrays.stream(values()).map(Type::hfName).toList());
        }
    }

    public LrSchedule {
        if (warmupSteps < 0) throw new JllmException("warmup_steps must be >= 0, got " + warmupSteps);
        if (totalSteps < 0) throw new JllmException("number of training steps must be >= 0, got " + totalSteps);
        if (type == Type.POLYNOMIAL && !(baseLr > lrEnd)) {
            throw new JllmException("polynomial schedule: lr_end (" + lrEnd + ") must be smaller than the learning rate (" + baseLr + ")");
        }
    }

    /** A schedule with transformers' defaults for the shape parameters (cosine 0.5 cycles, restarts 1, lr_end 1e-7, power 1). */
    public static LrSchedule of(Type type, double baseLr, int warmupSteps, int totalSteps) {
        double cycles = type == Type.COSINE_WITH_RESTARTS ? 1 : 0.5;
        return new LrSchedule(type, baseLr, warmupSteps, totalSteps, cycles, 1e-7, 1.0, 0);
    }

    /** transformers' {@code TrainingArguments.get_warmup_steps}: explicit steps win, else {@code ceil(total · ratio)}. */
    public static int warmupSteps(int warmupSteps, double warmupRatio, int totalSteps) {
        if (warmupRatio < 0 || warmupRatio > 1) throw new JllmException("warmup_ratio must lie in [0, 1], got " + warmupRatio);
        return warmupSteps > 0 ? warmupSteps : (int) Math.ceil(totalSteps * warmupRatio);
    }

    /** The learning rate of the update with 0-based index {@code step}. */
    public double lr(int step) {
        return baseLr * multiplier(step);
    }

    public double multiplier(int step) {
        if (type == Type.CONSTANT) return 1.0;
        if (step < warmupSteps) return (double) step / Math.max(1, warmupSteps);
        double progress = (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
        return switch (type) {
            case CONSTANT, CONSTANT_WITH_WARMUP -> 1.0;
            case LINEAR -> Math.max(0.0, (double) (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
            case COSINE -> Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * numCycles * 2.0 * progress)));
            case COSINE_WITH_RESTARTS -> progress >= 1.0 ? 0.0
                    : Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * ((numCycles * progress) % 1.0))));
            case POLYNOMIAL -> {
                // transformers divides by (total - warmup) here; with no decay phase it would divide by zero.
                if (step > totalSteps || totalSteps == warmupSteps) yield lrEnd / baseLr;
                double remaining = 1 - (double) (step - warmupSteps) / (totalSteps - warmupSteps);
                yield ((baseLr - lrEnd) * Math.pow(remaining, power) + lrEnd) / baseLr;
            }
            case INVERSE_SQRT -> {
                int scale = timescale > 0 ? timescale : (warmupSteps > 0 ? warmupSteps : 10_000);
                yield 1.0 / Math.sqrt((double) (step + scale - warmupSteps) / scale);
            }
        };
    }
}
