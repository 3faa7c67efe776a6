package dev.jllm.train.data;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * CSV as RFC 4180 (and Python's {@code csv} module by default) reads it: comma-separated fields, a field in double
 * quotes may contain commas, line breaks and doubled quotes ({@code ""} is one quote); the first record names the
 * columns. Lines may end in LF or CRLF; blank lines between records are skipped.
 */
public final class Csv {
    private Csv() {}

    /** One data record, with the line it starts on (1-based) for error messages. */
    public record Row(int line, List<String> header, List<String> values) {
        /** The record as a JSON object of strings keyed by column name. */
        public ObjectNode asJson(ObjectMapper json) {
            ObjectNode n = json.createObjectNode();
            for (int i = 0; i < header.size(); i++) n.put(header.get(i), values.get(i));
            return n;
        }
    }

    public static List<Row> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read the CSV file: " + e.getMessage(), e);
        }
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        List<List<String>> records = new ArrayList<>();
        List<Integer> lines = new ArrayList<>();
        parse(file, text, records, lines);
        if (records.isEmpty()) throw new JllmException(file + ": the CSV file has no header row");
        List<String> header = records.getFirst();
        for (int i = 0; i < header.size(); i++) {
            if (header.indexOf(header.get(i)) != i) throw new JllmException(file + ":" + lines.getFirst() + ": column '" + header.get(i) + "' appears twice in the header");
        }
        var rows = new ArrayList<Row>();
        for (int r = 1; r < records.size(); r++) {
            List<String> values = records.get(r);
            if (values.size() != header.size()) {
                throw new JllmException(file + ":" + lines.get(r) + ": " + values.size() + " field(s), the header has " + header.size());
            }
            rows.add(new Row(lines.get(r), header, values));
        }
        return rows;
    }

    private static void parse(Path file, String text, List<List<String>> records, List<Integer> lines) {
        int line = 1, i = 0, n = text.length();
        while (i < n) {
            // skip blank lines between records
            if (text.charAt(i) == '\n' || text.charAt(i) == '\r') {
                if (text.charAt(i) == '\n') line++;
                i++;
                continue;
            }
            int startLine = line;
            var fields = new ArrayList<String>();
            var field = new StringBuilder();
            boolean endOfRecord = false;
            while (!endOfRecord) {
                field.setLength(0);
                if (i < n && text.charAt(i) == '"') {
                    i++;
                    while (true) {
                        if (i >= n) throw new JllmException(file + ":" + startLine + ": a quoted field is never closed");
                        char c = text.charAt(i++);
                        if (c == '"') {
                            if (i < n && text.charAt(i) == '"') {
                                field.append('"');
                                i++;
                            } else {
                                break;
                            }
                        } else {
                            if (c == '\n') line++;
                            field.append(c);
                        }
                    }
                    if (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                        throw new JllmException(file + ":" + line + ": unexpected character '" + text.charAt(i) + "' after a closing quote");
                    }
                } else {
                    while (i < n && text.charAt(i) != ',' && text.charAt(i) != '\n' && text.charAt(i) != '\r') {
                        char c = text.charAt(i++);
                        if (c == '"') throw new JllmException(file + ":" + line + ": a quote inside an unquoted field (quote the whole field and double the quote)");
                        field.append(c);
                    }
                }
                fields.add(field.toString());
                if (i < n && text.charAt(i) == ',') {
                    i++;
                } else {
                    if (i < n && text.charAt(i) == '\r') i++;
                    if (i < n && text.charAt(i) == '\n') {
                        i++;
                        line++;
                    }
                    endOfRecord = true;
                }
            }
            records.add(fields);
            lines.add(startLine);
        }
    }
}
