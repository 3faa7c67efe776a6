package dev.jllm.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Fixtures;

import java.util.ArrayList;
import java.util.List;

/** Reads the JSON Lines fixtures under {@code metrics/} and compares numbers with a tolerance. */
public final class MetricFixtures {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final double DEFAULT_TOLERANCE = 1e-6;

    private MetricFixtures() {}

    public static List<JsonNode> rows(String file) {
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Fixtures.jsonLines(Fixtures.resolve("metrics", file))) {
            try {
                rows.add(JSON.readTree(line));
            } catch (Exception e) {
                throw new IllegalStateException("metrics/" + file + ": unreadable line: " + e.getMessage(), e);
            }
        }
        return rows;
    }

    public static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        for (JsonNode n : array) out.add(n.isNull() ? null : n.asText());
        return out;
    }

    public static void close(String what, double expected, double actual, double tolerance) {
        if (!(Math.abs(expected - actual) <= tolerance)) {
            throw new AssertionError(what + ": expected " + expected + " got " + actual + " (tolerance " + tolerance + ")");
        }
    }

    public static void close(String what, JsonNode expected, double[] actual, double tolerance) {
        if (expected.size() != actual.length) {
            throw new AssertionError(what + ": expected " + expected.size() + " values, got " + actual.length);
        }
        for (int i = 0; i < actual.length; i++) close(what + "[" + i + "]", expected.get(i).asDouble(), actual[i], tolerance);
    }

    public static void equal(String what, Object expected, Object actual) {
        if (!expected.equals(actual)) throw new AssertionError(what + ": expected " + expected + " got " + actual);
    }
}
