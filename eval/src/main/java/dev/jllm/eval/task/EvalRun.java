package dev.jllm.eval.task;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/** A whole evaluation: what was run with which settings, the corpus-level metrics, and every example. */
public record EvalRun(String model, String adapter, String task, Map<String, Object> settings, Map<String, Double> metrics,
                      List<ExampleResult> examples, String startedAt, double seconds) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The run's label in reports: the adapter's folder name when there is one, else the model's. */
    public String label() {
        String base = adapter != null ? adapter : model;
        Path p = Path.of(base).getFileName();
        return p == null ? base : p.toString();
    }

    public void write(Path file) {
        try {
            Path abs = file.toAbsolutePath();
            if (abs.getParent() != null) Files.createDirectories(abs.getParent());
            Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), this);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    public static EvalRun read(Path file) {
        try {
            return JSON.readValue(file.toFile(), EvalRun.class);
        } catch (IOException e) {
            throw new JllmException(file + ": not an evaluation result written by jllm eval: " + e.getMessage(), e);
        }
    }
}
