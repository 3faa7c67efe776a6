package dev.jllm.testkit;

import java.util.ArrayList;
import java.util.List;

/**
 * Tallies the cases of one conformance area, prints {@code conformance <area>: N passed, M failed} and fails
 * with the first failures' details. Use one instance per area:
 *
 * <pre>{@code
 * var area = new Conformance("tokenizers");
 * for (Case c : cases) area.check(c.name(), () -> assertSame(c));
 * area.finish();   // prints the summary line, throws AssertionError if any case failed or none ran
 * }</pre>
 */
public final class Conformance {
    private static final int MAX_REPORTED = 40;

    private final String area;
    private int passed;
    private final List<String> failures = new ArrayList<>();

    public Conformance(String area) {
        this.area = area;
    }

    /** A case body: throws (any Throwable) to fail, returns normally to pass. */
    @FunctionalInterface
    public interface CaseBody {
        void run() throws Throwable;
    }

    public void check(String caseName, CaseBody body) {
        try {
            body.run();
            passed++;
        } catch (Throwable t) {
            String msg = t.getMessage() != null ? t.getMessage() : t.toString();
            failures.add(caseName + ": " + msg);
        }
    }

    public void pass() {
        passed++;
    }

    public void fail(String caseName, String why) {
        failures.add(caseName + ": " + why);
    }

    public int passed() {
        return passed;
    }

    public int failed() {
        return failures.size();
    }

    /** Prints the summary line and the failures; throws when a case failed or when no case was found. */
    public void finish() {
        System.out.println("conformance " + area + ": " + passed + " passed, " + failures.size() + " failed");
        if (!failures.isEmpty()) {
            StringBuilder sb = new StringBuilder(area + ": " + failures.size() + " failing case(s):\n");
            failures.stream().limit(MAX_REPORTED).forEach(f -> sb.append("  ").append(f).append('\n'));
            if (failures.size() > MAX_REPORTED) sb.append("  ... and ").append(failures.size() - MAX_REPORTED).append(" more\n");
            System.out.println(sb);
            throw new AssertionError(sb.toString());
        }
        if (passed == 0) {
            throw new AssertionError(area + ": no conformance case found under " + Fixtures.root());
        }
    }

    /** The index of the first differing element, or -1 when equal; useful in failure messages. */
    public static int firstDifference(int[] expected, int[] actual) {
        int n = Math.min(expected.length, actual.length);
        for (int i = 0; i < n; i++) if (expected[i] != actual[i]) return i;
        return expected.length == actual.length ? -1 : n;
    }

    public static int firstDifference(String expected, String actual) {
        int n = Math.min(expected.length(), actual.length());
        for (int i = 0; i < n; i++) if (expected.charAt(i) != actual.charAt(i)) return i;
        return expected.length() == actual.length() ? -1 : n;
    }
}
