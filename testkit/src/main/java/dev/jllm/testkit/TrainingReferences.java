package dev.jllm.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;

/** Reads the PyTorch reference runs under {@code training/} and {@code quant/} the way the replay tests need them. */
public final class TrainingReferences {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingReferences() {}

    /**
     * Writes a run's micro-batches ({@code inputs.json}) as pre-tokenized JSON Lines rows ({@code input_ids},
     * {@code attention_mask}, {@code labels}) in step order, so that a trainer reading the file without shuffling
     * sees exactly the reference's micro-batches.
     */
    public static Path writeRows(Path run, Path jsonl) throws IOException {
        var lines = new ArrayList<String>();
        for (JsonNode step : JSON.readTree(run.resolve("inputs.json").toFile()).path("steps")) {
            for (JsonNode mb : step.path("micro_batches")) {
                for (int r = 0; r < mb.path("input_ids").size(); r++) {
                    var row = JSON.createObjectNode();
                    row.set("input_ids", mb.path("input_ids").get(r));
                    row.set("attention_mask", mb.path("attention_mask").get(r));
                    row.set("labels", mb.path("labels").get(r));
                    lines.add(JSON.writeValueAsString(row));
                }
            }
        }
        Files.write(jsonl, lines);
        return jsonl;
    }
}
