package dev.jllm.train.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Training rows read from JSON Lines ({@code .jsonl}), a JSON array ({@code .json}), CSV with a header row
 * ({@code .csv}, RFC 4180 quoting: fields in double quotes may hold commas, doubled quotes and line breaks) or plain
 * text ({@code .txt}: one document per paragraph, paragraphs separated by blank lines, because a corpus file
 * usually holds many documents and a paragraph is the largest unit that stays on one topic). A JSON row is either
 * pre-tokenized ({@code input_ids}, optional {@code labels} and {@code attention_mask}) or has a text field that
 * the tokenizer encodes (with its special tokens, as {@code tokenizer(text)} does). Rows longer than
 * {@code maxLength} are cut to it and counted in {@link #truncated}, or rejected when truncation is refused.
 */
public record Dataset(List<Example> examples, int truncated, Path source) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public Dataset {
        examples = List.copyOf(examples);
    }

    public int size() {
        return examples.size();
    }

    /**
     * @param encoder    text → token ids, or null when only pre-tokenized rows are acceptable
     * @param vocabSize  ids must lie in {@code [0, vocabSize)}
     */
    public static Dataset load(Path file, String textField, Function<String, int[]> encoder, int vocabSize, int maxLength,
                               boolean truncate) {
        var examples = new ArrayList<Example>();
        int[] truncated = {0};
        String name = file.getFileName().toString();
        try {
            if (name.endsWith(".csv")) {
                for (Csv.Row r : Csv.read(file)) {
                    examples.add(row(r.asJson(JSON), file + ":" + r.line(), textField, encoder, vocabSize, maxLength, truncate, truncated));
                }
            } else if (name.endsWith(".txt")) {
                for (PlainText.Document d : PlainText.paragraphs(file)) {
                    var node = JSON.createObjectNode().put(textField, d.text());
                    examples.add(row(node, file + ":" + d.line(), textField, encoder, vocabSize, maxLength, truncate, truncated));
                }
            } else if (name.endsWith(".json")) {
                JsonNode root;
                try {
                    root = JSON.readTree(Files.readString(file));
                } catch (JsonProcessingException e) {
                    throw new JllmException(file + ": not valid JSON: " + e.getOriginalMessage());
                }
                if (!root.isArray()) throw new JllmException(file + ": a .json dataset must be an array of objects (use .jsonl for JSON Lines)");
                for (int i = 0; i < root.size(); i++) {
                    examples.add(row(root.get(i), file + ": element " + i, textField, encoder, vocabSize, maxLength, truncate, truncated));
                }
            } else {
                try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                    String line;
                    int lineNo = 0;
                    while ((line = in.readLine()) != null) {
                        lineNo++;
                        if (line.isBlank()) continue;
                        JsonNode node;
                        try {
                            node = JSON.readTree(line);
                        } catch (JsonProcessingException e) {
                            throw new JllmException(file + ":" + lineNo + ": not valid JSON: " + e.getOriginalMessage());
                        }
                        examples.add(row(node, file + ":" + lineNo, textField, encoder, vocabSize, maxLength, truncate, truncated));
                    }
                }
            }
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read the dataset: " + e.getMessage(), e);
        }
        if (examples.isEmpty()) throw new JllmException(file + ": the dataset has no rows");
        return new Dataset(examples, truncated[0], file);
    }

    /** Training and validation rows. */
    public record Split(Dataset train, Dataset validation) {}

    /**
     * Holds out {@code round(fraction · size)} rows (at least one, and at least one left to train on) drawn by a
     * seeded shuffle, as {@code datasets.train_test_split(test_size, seed)} does; both parts keep the drawn order.
     */
    public Split split(double fraction, long seed) {
        if (!(fraction > 0 && fraction < 1)) throw new JllmException(source + ": validation fraction must lie in (0, 1), got " + fraction);
        int n = size();
        if (n < 2) throw new JllmException(source + ": " + n + " row(s) cannot be split into training and validation rows");
        int held = (int) Math.min(n - 1, Math.max(1, Math.round(fraction * n)));
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Random r = new java.util.Random(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        var train = new ArrayList<Example>();
        var validation = new ArrayList<Example>();
        for (int i = 0; i < n; i++) (i < n - held ? train : validation).add(examples.get(order[i]));
        return new Split(new Dataset(train, truncated, source), new Dataset(validation, 0, source));
    }

    /**
     * Pretraining blocks as transformers' {@code run_clm.py group_texts} makes them: every row's ids concatenated
     * (with {@code separatorId} after each row when it is ≥ 0, e.g. the EOS token, so documents do not run into each
     * other), cut into rows of exactly {@code blockSize} tokens; the remainder shorter than a block is dropped.
     * Labels are the inputs (the loss shifts them), so no position is padding.
     */
    public Dataset packed(int blockSize, int separatorId) {
        if (blockSize < 2) throw new JllmException("block size must be >= 2, got " + blockSize);
        long total = 0;
        for (Example e : examples) total += e.length() + (separatorId >= 0 ? 1 : 0);
        if (total < blockSize) {
            throw new JllmException(source + ": " + total + " tokens do not fill one block of " + blockSize + " (lower the block size or add text)");
        }
        int[] stream = new int[Math.toIntExact(total)];
        int k = 0;
        for (Example e : examples) {
            System.arraycopy(e.inputIds(), 0, stream, k, e.length());
            k += e.length();
            if (separatorId >= 0) stream[k++] = separatorId;
        }
        var blocks = new ArrayList<Example>();
        for (int i = 0; i + blockSize <= stream.length; i += blockSize) {
            blocks.add(new Example(java.util.Arrays.copyOfRange(stream, i, i + blockSize), null, null));
        }
        return new Dataset(blocks, 0, source);
    }

    private static Example row(JsonNode node, String where, String textField, Function<String, int[]> encoder, int vocabSize,
                               int maxLength, boolean truncate, int[] truncated) {
        if (node == null || !node.isObject()) throw new JllmException(where + ": expected a JSON object");
        int[] ids, labels = null, mask = null;
        if (node.has("input_ids")) {
            ids = ints(node.get("input_ids"), where, "input_ids");
            if (node.has("labels")) labels = ints(node.get("labels"), where, "labels");
            if (node.has("attention_mask")) mask = ints(node.get("attention_mask"), where, "attention_mask");
            if (labels != null && labels.length != ids.length) throw new JllmException(where + ": 'labels' has " + labels.length + " entries, 'input_ids' " + ids.length);
            if (mask != null && mask.length != ids.length) throw new JllmException(where + ": 'attention_mask' has " + mask.length + " entries, 'input_ids' " + ids.length);
        } else {
            JsonNode text = node.get(textField);
            if (text == null || !text.isTextual()) {
                throw new JllmException(where + ": no text field '" + textField + "' (and no 'input_ids'); fields present: " + fieldNames(node));
            }
            if (encoder == null) throw new JllmException(where + ": a text row needs a tokenizer, and none was given");
            ids = encoder.apply(text.asText());
        }
        if (ids.length == 0) throw new JllmException(where + ": the row has no tokens");
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new JllmException(where + ": token id " + ids[i] + " at position " + i + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            if (labels != null && labels[i] != -100 && (labels[i] < 0 || labels[i] >= vocabSize)) {
                throw new JllmException(where + ": label " + labels[i] + " at position " + i + " is neither -100 nor in [0, " + vocabSize + ")");
            }
        }
        if (ids.length > maxLength) {
            if (!truncate) throw new JllmException(where + ": " + ids.length + " tokens exceed the maximum length " + maxLength);
            truncated[0]++;
            ids = java.util.Arrays.copyOf(ids, maxLength);
            if (labels != null) labels = java.util.Arrays.copyOf(labels, maxLength);
            if (mask != null) mask = java.util.Arrays.copyOf(mask, maxLength);
        }
        return new Example(ids, labels, mask);
    }

    private static int[] ints(JsonNode array, String where, String field) {
        if (!array.isArray()) throw new JllmException(where + ": '" + field + "' must be an array of integers");
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = array.get(i);
            if (!v.canConvertToInt() || !v.isIntegralNumber()) throw new JllmException(where + ": '" + field + "'[" + i + "] is not an integer: " + v);
            out[i] = v.asInt();
        }
        return out;
    }

    private static List<String> fieldNames(JsonNode node) {
        var names = new ArrayList<String>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
