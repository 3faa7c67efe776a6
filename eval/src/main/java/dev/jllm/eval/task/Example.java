package dev.jllm.eval.task;

import java.util.List;
import java.util.Map;

/**
 * One benchmark item: its text fields (filled into the prompt template), its references, and for multiple
 * choice its choices and the index of the right one ({@code gold} -1 otherwise).
 */
public record Example(String id, Map<String, String> fields, List<String> references, List<String> choices, int gold) {

    public String field(String name) {
        return fields.get(name);
    }
}
