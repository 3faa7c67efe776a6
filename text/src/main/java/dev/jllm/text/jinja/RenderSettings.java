package dev.jllm.text.jinja;

import java.time.LocalDateTime;
import java.util.function.Supplier;

/**
 * How to render: the bounds of the sandbox and the clock behind {@code strftime_now} (injectable so tests and
 * {@code jllm template --now} are reproducible).
 */
public record RenderSettings(Limits limits, Supplier<LocalDateTime> clock) {

    public static final RenderSettings DEFAULT = new RenderSettings(Limits.DEFAULT, LocalDateTime::now);

    public RenderSettings {
        if (limits == null || clock == null) throw new IllegalArgumentException("limits and clock are required");
    }

    public RenderSettings withLimits(Limits l) {
        return new RenderSettings(l, clock);
    }

    /** A clock stopped at {@code now}. */
    public RenderSettings withFixedClock(LocalDateTime now) {
        return new RenderSettings(limits, () -> now);
    }
}
