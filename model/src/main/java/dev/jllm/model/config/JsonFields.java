package dev.jllm.model.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.core.JllmException;

import java.util.ArrayList;
import java.util.List;

/** Typed, null-tolerant access to a JSON object whose errors name the file and field. */
record JsonFields(String source, JsonNode root) {

    JsonNode node(String field) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? null : n;
    }

    int requireInt(String field) {
        JsonNode n = node(field);
        if (n == null) throw new JllmException(source + ": required field '" + field + "' is missing");
        return toInt(field, n);
    }

    int optInt(String field, int dflt) {
        JsonNode n = node(field);
        return n == null ? dflt : toInt(field, n);
    }

    Integer optIntOrNull(String field) {
        JsonNode n = node(field);
        if (n == null) return null;
        if (n.isArray()) return n.isEmpty() ? null : toInt(field, n.get(0));
        return toInt(field, n);
    }

    /** Like {@link #optIntOrNull} but without accepting a list. */
    Integer optIntOrNullStrict(String field) {
        JsonNode n = node(field);
        return n == null ? null : toInt(field, n);
    }

    private int toInt(String field, JsonNode n) {
        if (n.isIntegralNumber() && n.canConvertToInt()) return n.intValue();
        if (n.isNumber() && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < Integer.MAX_VALUE) {
            return (int) n.doubleValue();
        }
        throw new JllmException(source + ": field '" + field + "' must be an integer, got " + n);
    }

    double requireDouble(String field) {
        JsonNode n = node(field);
        if (n == null) throw new JllmException(source + ": required field '" + field + "' is missing");
        if (!n.isNumber()) throw new JllmException(source + ": field '" + field + "' must be a number, got " + n);
        return n.doubleValue();
    }

    double optDouble(String field, double dflt) {
        JsonNode n = node(field);
        if (n == null) return dflt;
        if (!n.isNumber()) throw new JllmException(source + ": field '" + field + "' must be a number, got " + n);
        return n.doubleValue();
    }

    Double optDoubleOrNull(String field) {
        return node(field) == null ? null : optDouble(field, 0);
    }

    boolean optBool(String field, boolean dflt) {
        JsonNode n = node(field);
        if (n == null) return dflt;
        if (!n.isBoolean()) throw new JllmException(source + ": field '" + field + "' must be true or false, got " + n);
        return n.booleanValue();
    }

    Boolean optBoolOrNull(String field) {
        return node(field) == null ? null : optBool(field, false);
    }

    String optString(String field, String dflt) {
        JsonNode n = node(field);
        if (n == null) return dflt;
        if (!n.isTextual()) throw new JllmException(source + ": field '" + field + "' must be a string, got " + n);
        return n.textValue();
    }

    /** An integer or a list of integers (as eos_token_id may be), as a list; empty when absent. */
    List<Integer> intList(String field) {
        JsonNode n = node(field);
        List<Integer> out = new ArrayList<>();
        if (n == null) return out;
        if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) out.add(toInt(field + "[" + i + "]", n.get(i)));
        } else {
            out.add(toInt(field, n));
        }
        return out;
    }
}
