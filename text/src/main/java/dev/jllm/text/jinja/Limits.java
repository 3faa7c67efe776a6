package dev.jllm.text.jinja;

import java.time.Duration;

/**
 * Bounds on one render, so that a hostile or broken template from a downloaded model fails fast with a clear error
 * instead of hanging the process or exhausting memory.
 *
 * @param timeout           wall-clock time for the whole render
 * @param maxSteps          statements, loop iterations and calls executed (catches runaway loops quickly)
 * @param maxRecursionDepth nested macro / recursive-loop calls
 * @param maxOutputChars    characters of output, and the longest string any operation may build
 * @param maxRange          the longest list {@code range()} or repetition ({@code [x] * n}) may build
 */
public record Limits(Duration timeout, long maxSteps, int maxRecursionDepth, int maxOutputChars, int maxRange) {

    /** Generous for every real chat template (they render in microseconds to milliseconds). */
    public static final Limits DEFAULT = new Limits(Duration.ofSeconds(10), 2_000_000L, 200, 16 * 1024 * 1024, 100_000);

    public Limits {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
        if (maxSteps <= 0 || maxRecursionDepth <= 0 || maxOutputChars <= 0 || maxRange <= 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
    }

    public Limits withTimeout(Duration t) {
        return new Limits(t, maxSteps, maxRecursionDepth, maxOutputChars, maxRange);
    }

    public Limits withMaxSteps(long n) {
        return new Limits(timeout, n, maxRecursionDepth, maxOutputChars, maxRange);
    }

    public Limits withMaxRecursionDepth(int n) {
        return new Limits(timeout, maxSteps, n, maxOutputChars, maxRange);
    }

    public Limits withMaxOutputChars(int n) {
        return new Limits(timeout, maxSteps, maxRecursionDepth, n, maxRange);
    }

    public Limits withMaxRange(int n) {
        return new Limits(timeout, maxSteps, maxRecursionDepth, maxOutputChars, n);
    }
}
