package dev.jllm.eval.bleu;

import dev.jllm.core.JllmException;

/**
 * sacrebleu's smoothing methods (Chen and Cherry, WMT 2014), with the default value of those that take one.
 */
public enum SmoothMethod {
    /** No smoothing: a zero n-gram precision makes the score 0. */
    NONE("none", null),
    /** Method 1: a zero match count is replaced by the value (default 0.1). */
    FLOOR("floor", 0.1),
    /** Method 2: the value (default 1) is added to the matches and totals of every order above 1. */
    ADD_K("add-k", 1.0),
    /** Method 3, NIST's: the k-th zero precision becomes 1 / (2^k * total). */
    EXP("exp", null);

    private final String name;
    private final Double defaultValue;

    SmoothMethod(String name, Double defaultValue) {
        this.name = name;
        this.defaultValue = defaultValue;
    }

    /** The sacrebleu name, as in {@code --smooth-method} and the signature. */
    public String sacrebleuName() {
        return name;
    }

    /** The default smoothing value, or null when the method takes none. */
    public Double defaultValue() {
        return defaultValue;
    }

    public boolean takesValue() {
        return defaultValue != null;
    }

    public static SmoothMethod byName(String name) {
        for (SmoothMethod m : values()) if (m.name.equals(name)) return m;
        throw new JllmException("unknown BLEU smoothing method '" + name + "' (expected one of none, floor, add-k, exp)");
    }
}
