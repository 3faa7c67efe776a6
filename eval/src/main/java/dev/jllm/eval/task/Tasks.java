package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.eval.humaneval.HumanEval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in tasks over a datasets folder laid out like {@code ../shared/datasets}, and tasks read from any
 * JSON Lines file.
 */
public final class Tasks {
    public static final List<String> BUILT_IN = List.of("gsm8k", "humaneval", "lamini-qa");
    /** HumanEval's usual stop sequences (a new top-level statement ends the function body). */
    public static final List<String> HUMANEVAL_STOP = List.of("\nclass", "\ndef", "\n#", "\nif", "\nprint");
    /** The share of lamini_docs.jsonl held out for evaluation: its last 10% (140 of 1400 rows). */
    public static final double LAMINI_HELD_OUT = 0.1;

    private Tasks() {
    }

    /** A built-in task name, or a path to a JSON Lines file. */
    public static Task load(String nameOrFile, Path datasets) {
        return switch (nameOrFile) {
            case "gsm8k" -> gsm8k(datasets.resolve("gsm8k").resolve("test.jsonl"));
            case "humaneval" -> humanEval(datasets.resolve("humaneval").resolve("HumanEval.jsonl.gz"));
            case "lamini-qa" -> laminiQa(datasets.resolve("lamini_docs.jsonl"));
            default -> {
                Path file = Path.of(nameOrFile);
                if (!Files.isRegularFile(file)) {
                    throw new JllmException("task '" + nameOrFile + "' is neither a built-in task " + BUILT_IN + " nor a file");
                }
                yield file(file);
            }
        };
    }

    /** GSM8K: "Question: ...\nAnswer:"; shots are other test items with their worked answers. */
    public static Task gsm8k(Path file) {
        List<Example> ex = new ArrayList<>();
        int i = 0;
        for (JsonNode row : jsonLines(file)) {
            i++;
            ex.add(new Example("gsm8k/" + (i - 1), Map.of("question", text(row, "question", file, i)),
                    List.of(text(row, "answer", file, i)), List.of(), -1));
        }
        return new Task("gsm8k", TaskKind.GENERATE, ex, ex, new PromptTemplate("Question: {question}\nAnswer:", " ", "\n\n"),
                List.of("gsm8k"), List.of("\n\nQuestion:", "\nQuestion:"));
    }

    public static Task humanEval(Path file) {
        List<Example> ex = new ArrayList<>();
        for (HumanEval.Problem p : HumanEval.load(file)) {
            ex.add(new Example(p.taskId(), Map.of("prompt", p.prompt(), "test", p.test(), "entry_point", p.entryPoint()),
                    List.of(p.canonicalSolution()), List.of(), -1));
        }
        return new Task("humaneval", TaskKind.CODE, ex, List.of(), new PromptTemplate("{prompt}", "", ""),
                List.of("pass@1"), HUMANEVAL_STOP);
    }

    /** The Lamini docs Q&A held-out questions (the file's last 10%); questions already end in "### Answer:". */
    public static Task laminiQa(Path file) {
        List<Example> all = new ArrayList<>();
        int i = 0;
        for (JsonNode row : jsonLines(file)) {
            i++;
            all.add(new Example("lamini/" + (i - 1), Map.of("question", text(row, "question", file, i)),
                    List.of(text(row, "answer", file, i)), List.of(), -1));
        }
        int split = all.size() - (int) Math.round(all.size() * LAMINI_HELD_OUT);
        return new Task("lamini-qa", TaskKind.GENERATE, all.subList(split, all.size()), all.subList(0, split),
                new PromptTemplate("{question}", "", "\n\n"), List.of("exact_match", "bleu", "rouge"), List.of("### Question:"));
    }

    /**
     * A JSON Lines file, one object per line. The prompt comes from {@code prompt}, {@code question} or
     * {@code input}; references from {@code references} (array), {@code answer}, {@code reference}, {@code output} or
     * {@code target}; {@code choices} (array) with {@code gold} (index) makes it multiple choice; {@code test} with
     * {@code entry_point} makes it a HumanEval-format code task. Every other string field is available to templates.
     */
    public static Task file(Path file) {
        List<Example> ex = new ArrayList<>();
        TaskKind kind = null;
        int i = 0;
        for (JsonNode row : jsonLines(file)) {
            i++;
            Map<String, String> fields = new LinkedHashMap<>();
            for (var it = row.properties().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue().isTextual()) fields.put(e.getKey(), e.getValue().asText());
                else if (e.getValue().isNumber()) fields.put(e.getKey(), e.getValue().asText());
            }
            String prompt = first(row, "prompt", "question", "input");
            if (prompt == null) throw new JllmException(file + ":" + i + ": no 'prompt', 'question' or 'input' string field");
            fields.put("prompt", prompt);
            List<String> refs = new ArrayList<>();
            if (row.path("references").isArray()) for (JsonNode r : row.get("references")) refs.add(r.asText());
            else {
                String r = first(row, "answer", "reference", "output", "target");
                if (r != null) refs.add(r);
            }
            List<String> choices = new ArrayList<>();
            int gold = -1;
            TaskKind k = TaskKind.GENERATE;
            if (row.has("choices")) {
                if (!row.get("choices").isArray() || row.get("choices").isEmpty()) throw new JllmException(file + ":" + i + ": 'choices' must be a non-empty array");
                for (JsonNode c : row.get("choices")) choices.add(c.asText());
                if (!row.path("gold").canConvertToInt()) throw new JllmException(file + ":" + i + ": 'choices' needs an integer 'gold' index");
                gold = row.get("gold").asInt();
                if (gold < 0 || gold >= choices.size()) throw new JllmException(file + ":" + i + ": 'gold' " + gold + " is not a choice index");
                k = TaskKind.MULTIPLE_CHOICE;
            } else if (row.has("test") && row.has("entry_point")) {
                k = TaskKind.CODE;
            }
            if (kind != null && kind != k) throw new JllmException(file + ":" + i + ": mixes " + kind + " and " + k + " rows");
            kind = k;
            String id = row.has("task_id") ? row.get("task_id").asText() : row.has("id") ? row.get("id").asText() : String.valueOf(i - 1);
            ex.add(new Example(id, fields, refs, choices, gold));
        }
        if (ex.isEmpty()) throw new JllmException(file + ": no examples");
        List<String> metrics = switch (kind) {
            case GENERATE -> List.of("exact_match", "bleu", "rouge");
            case MULTIPLE_CHOICE -> List.of("acc", "acc_norm");
            case CODE -> List.of("pass@1");
        };
        String name = file.getFileName().toString().replaceFirst("\\.jsonl$", "");
        return new Task(name, kind, ex, ex, new PromptTemplate("{prompt}", " ", "\n\n"), metrics,
                kind == TaskKind.CODE ? HUMANEVAL_STOP : List.of());
    }

    private static String first(JsonNode row, String... names) {
        for (String n : names) if (row.path(n).isTextual()) return row.get(n).asText();
        return null;
    }

    private static String text(JsonNode row, String field, Path file, int line) {
        JsonNode v = row.get(field);
        if (v == null || !v.isTextual()) throw new JllmException(file + ":" + line + ": field '" + field + "' is missing or not a string");
        return v.asText();
    }

    static List<JsonNode> jsonLines(Path file) {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> rows = new ArrayList<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read: " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                JsonNode n = json.readTree(lines.get(i));
                if (!n.isObject()) throw new JllmException(file + ":" + (i + 1) + ": expected a JSON object");
                rows.add(n);
            } catch (IOException e) {
                throw new JllmException(file + ":" + (i + 1) + ": not JSON: " + e.getMessage(), e);
            }
        }
        return rows;
    }
}
