package dev.jllm.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The documents of a text corpus before any tokenizer exists (pretraining trains one on them): plain text
 * ({@code .txt}, one document per blank-line-separated paragraph), or the text field of JSON Lines, JSON or CSV rows.
 */
public final class Corpus {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Corpus() {}

    public static List<String> documents(List<Path> files, String textField) {
        var out = new ArrayList<String>();
        for (Path f : files) out.addAll(documents(f, textField));
        if (out.isEmpty()) throw new JllmException(files + ": the corpus has no text");
        return out;
    }

    public static List<String> documents(Path file, String textField) {
        String name = file.getFileName().toString();
        var out = new ArrayList<String>();
        if (name.endsWith(".txt")) {
            for (PlainText.Document d : PlainText.paragraphs(file)) out.add(d.text());
        } else if (name.endsWith(".csv")) {
            for (Csv.Row r : Csv.read(file)) {
                int col = r.header().indexOf(textField);
                if (col < 0) throw new JllmException(file + ": no column '" + textField + "' in the header " + r.header());
                out.add(r.values().get(col));
            }
        } else if (name.endsWith(".jsonl") || name.endsWith(".json")) {
            try {
                if (name.endsWith(".json")) {
                    JsonNode root = parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
                    if (!root.isArray()) throw new JllmException(file + ": a .json corpus must be an array of objects");
                    for (int i = 0; i < root.size(); i++) out.add(text(root.get(i), file + ": element " + i, textField));
                } else {
                    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
                    for (int i = 0; i < lines.size(); i++) {
                        if (lines.get(i).isBlank()) continue;
                        String where = file + ":" + (i + 1);
                        out.add(text(parse(lines.get(i), where), where, textField));
                    }
                }
            } catch (IOException e) {
                throw new JllmException(file + ": cannot read the corpus: " + e.getMessage(), e);
            }
        } else {
            throw new JllmException(file + ": unknown corpus format (expected .txt, .jsonl, .json or .csv)");
        }
        return out;
    }

    private static JsonNode parse(String text, String where) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new JllmException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
    }

    private static String text(JsonNode row, String where, String field) {
        JsonNode v = row == null ? null : row.get(field);
        if (v == null || !v.isTextual()) throw new JllmException(where + ": no text field '" + field + "'");
        return v.asText();
    }
}
