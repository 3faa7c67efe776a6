package dev.jllm.train.sft;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.text.chat.ChatOptions;
import dev.jllm.text.chat.ChatResult;
import dev.jllm.text.chat.ChatTemplate;
import dev.jllm.train.data.Dataset;
import dev.jllm.train.data.Example;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * TRL {@code SFTTrainer}'s dataset preparation: a row has a text field (language modelling on all of it), a
 * prompt and a completion (loss on the completion only, as {@code completion_only_loss} defaults), or is
 * pre-tokenized ({@code input_ids}, optional {@code labels}), or is a conversation ({@code messages}, or a prompt and a
 * completion that are lists of messages: the prompt's length with the generation prompt is masked). The prompt and
 * the whole text are tokenized with the tokenizer's special tokens (BOS), EOS is appended so the model learns to stop,
 * then rows are cut to {@code max_length}. A conversation is formatted and tokenized by the model's chat template
 * ({@code apply_chat_template(messages, tools=row.tools, **row.chat_template_kwargs)}, without added special tokens
 * since the template writes them, and without an appended EOS, as TRL does); its loss covers every token, or with
 * {@code assistant_only_loss} only the tokens inside the template's {@code {% generation %}} blocks. Padding is masked
 * by position in the collator, so an EOS equal to the pad token keeps its label.
 *
 * @param eval the held-out split (empty when none was asked for)
 */
public record SftDataset(Dataset train, Dataset eval, int truncated) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** How rows are read. */
    public record Fields(String text, String prompt, String completion, boolean completionOnlyLoss, boolean assistantOnlyLoss) {
        public Fields(String text, String prompt, String completion, boolean completionOnlyLoss) {
            this(text, prompt, completion, completionOnlyLoss, false);
        }

        public static Fields defaults() {
            return new Fields("text", "prompt", "completion", true, false);
        }

        public Fields withAssistantOnlyLoss(boolean b) {
            return new Fields(text, prompt, completion, completionOnlyLoss, b);
        }
    }

    /** transformers' marker of assistant text in a chat template, which {@code return_assistant_tokens_mask} needs. */
    private static final Pattern GENERATION_TAG = Pattern.compile("\\{%-?\\s*generation\\s*-?%}");

    /** Without a chat template: conversational rows are refused. */
    public static SftDataset load(Path file, Fields fields, Function<String, int[]> encoder, int eosId, int vocabSize,
                                  int maxLength, double evalShare) {
        return load(file, fields, encoder, null, eosId, vocabSize, maxLength, evalShare);
    }

    /**
     * @param encoder   text → ids with special tokens (BOS), as {@code tokenizer(text)} does
     * @param chat      the model's chat template with its tokenizer as encoder ({@link ChatTemplate#loadWithTokenizer}),
     *                  asked for only when a {@code messages} row appears; null when there is none
     * @param eosId     appended to tokenized text and prompt/completion rows; -1 when the tokenizer has none
     * @param evalShare fraction of rows (the last ones, in file order) held out for evaluation; 0 for none
     */
    public static SftDataset load(Path file, Fields fields, Function<String, int[]> encoder, Supplier<ChatTemplate> chat,
                                  int eosId, int vocabSize, int maxLength, double evalShare) {
        return load(file, fields, encoder, chat, eosId, vocabSize, maxLength, evalShare, null);
    }

    /**
     * As above, with {@code SFTConfig.packing}: {@code packing} null leaves rows one per example (cut to max_length);
     * otherwise the training rows and the held-out rows are each packed into rows of max_length tokens with that
     * strategy ({@link Packing}), which does the cutting itself (bfd cuts, bfd_split and wrapped keep every token).
     */
    public static SftDataset load(Path file, Fields fields, Function<String, int[]> encoder, Supplier<ChatTemplate> chat,
                                  int eosId, int vocabSize, int maxLength, double evalShare, Packing.Strategy packing) {
        if (maxLength < 2) throw new JllmException("max_length must be at least 2, got " + maxLength);
        if (evalShare < 0 || evalShare >= 1) throw new JllmException("eval split " + evalShare + " must be in [0, 1)");
        List<Row> rows = read(file);
        var examples = new ArrayList<Example>();
        int truncated = 0;
        var conversations = new Conversations(chat, fields.assistantOnlyLoss());
        for (Row r : rows) {
            Example e = row(r.node(), r.where(), fields, encoder, conversations, eosId, vocabSize);
            if (e.length() > maxLength && packing != null) {
                if (packing == Packing.Strategy.BFD) truncated++;
            } else if (e.length() > maxLength) {
                truncated++;
                e = new Example(Arrays.copyOf(e.inputIds(), maxLength), e.labels() == null ? null : Arrays.copyOf(e.labels(), maxLength),
                        e.attentionMask() == null ? null : Arrays.copyOf(e.attentionMask(), maxLength));
            }
            examples.add(e);
        }
        if (examples.isEmpty()) throw new JllmException(file + ": the dataset has no rows");
        int nEval = (int) Math.round(examples.size() * evalShare);
        if (evalShare > 0 && nEval == 0) nEval = 1;
        if (nEval >= examples.size()) throw new JllmException(file + ": " + examples.size() + " rows leave none to train on after holding out " + nEval);
        List<Example> trainRows = examples.subList(0, examples.size() - nEval), evalRows = examples.subList(examples.size() - nEval, examples.size());
        if (packing != null) {
            trainRows = Packing.pack(trainRows, maxLength, packing);
            evalRows = Packing.pack(evalRows, maxLength, packing);
        }
        var train = new Dataset(trainRows, truncated, file);
        var eval = new Dataset(evalRows, 0, file);
        return new SftDataset(train, eval, truncated);
    }

    private static Example row(JsonNode node, String where, Fields f, Function<String, int[]> encoder, Conversations chat,
                               int eosId, int vocabSize) {
        if (node == null || !node.isObject()) throw new JllmException(where + ": expected a JSON object");
        if (f.assistantOnlyLoss() && !node.has("messages") && !node.path(f.prompt()).isArray()) {
            throw new JllmException(where + ": assistant_only_loss applies to conversational rows ('messages', or prompt/completion "
                    + "message lists) only; this row is not one");
        }
        int[] ids;
        int[] labels;
        int[] mask = null;
        if (node.has("input_ids")) {
            ids = ints(node.get("input_ids"), where, "input_ids");
            if (node.has("attention_mask")) {
                mask = ints(node.get("attention_mask"), where, "attention_mask");
                if (mask.length != ids.length) throw new JllmException(where + ": 'attention_mask' has " + mask.length + " entries, 'input_ids' " + ids.length);
            }
            if (node.has("labels")) {
                labels = ints(node.get("labels"), where, "labels");
            } else {
                labels = ids.clone();
                if (mask != null) for (int i = 0; i < ids.length; i++) if (mask[i] == 0) labels[i] = -100;
            }
            if (labels.length != ids.length) throw new JllmException(where + ": 'labels' has " + labels.length + " entries, 'input_ids' " + ids.length);
        } else if (node.path(f.prompt()).isArray() || node.path(f.completion()).isArray()) {
            int[][] idsAndLabels = chat.tokenize(node, where, f);
            ids = idsAndLabels[0];
            labels = idsAndLabels[1];
        } else if (node.has(f.prompt()) || node.has(f.completion())) {
            String prompt = text(node, f.prompt(), where);
            String completion = text(node, f.completion(), where);
            need(encoder, where);
            int[] promptIds = encoder.apply(prompt);
            ids = withEos(encoder.apply(prompt + completion), eosId);
            labels = ids.clone();
            if (f.completionOnlyLoss()) {
                for (int i = 0; i < Math.min(promptIds.length, labels.length); i++) labels[i] = -100;
            }
        } else if (node.has(f.text())) {
            need(encoder, where);
            ids = withEos(encoder.apply(text(node, f.text(), where)), eosId);
            labels = ids.clone();
        } else if (node.has("messages")) {
            int[][] idsAndLabels = chat.tokenize(node, where);
            ids = idsAndLabels[0];
            labels = idsAndLabels[1];
        } else {
            var names = new ArrayList<String>();
            node.fieldNames().forEachRemaining(names::add);
            throw new JllmException(where + ": no '" + f.text() + "', '" + f.prompt() + "'/'" + f.completion() + "' or 'input_ids' field; fields present: " + names);
        }
        if (ids.length == 0) throw new JllmException(where + ": the row has no tokens");
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) throw new JllmException(where + ": token id " + ids[i] + " at position " + i + " is outside [0, " + vocabSize + ")");
            if (labels[i] != -100 && (labels[i] < 0 || labels[i] >= vocabSize)) throw new JllmException(where + ": label " + labels[i] + " at position " + i + " is neither -100 nor in [0, " + vocabSize + ")");
        }
        return new Example(ids, labels, mask);
    }

    /** Formats {@code messages} rows with the chat template, fetched (and checked) once, on the first such row. */
    private static final class Conversations {
        private final Supplier<ChatTemplate> source;
        private final boolean assistantOnlyLoss;
        private ChatTemplate template;

        Conversations(Supplier<ChatTemplate> source, boolean assistantOnlyLoss) {
            this.source = source;
            this.assistantOnlyLoss = assistantOnlyLoss;
        }

        private ChatTemplate template(String where) {
            if (template != null) return template;
            if (source == null) throw new JllmException(where + ": conversational rows ('messages') need the model's chat template and tokenizer, and there are none");
            ChatTemplate t = source.get();
            if (assistantOnlyLoss && t.names().stream().noneMatch(n -> GENERATION_TAG.matcher(t.source(n)).find())) {
                throw new JllmException(t.origin() + ": assistant_only_loss needs a chat template that marks assistant turns with "
                        + "{% generation %}...{% endgeneration %}, and this one has no {% generation %} block; give a template that has, "
                        + "or train on every token (no --assistant-only-loss)");
            }
            return template = t;
        }

        /** A {@code messages} row's input ids and labels (-100 outside the assistant turns with assistant_only_loss). */
        int[][] tokenize(JsonNode node, String where) {
            List<JsonNode> messages = messages(node, "messages", where);
            ChatResult r = apply(messages, options(node, where), where);
            return new int[][]{r.inputIds(), labels(r, where)};
        }

        /**
         * A conversational prompt/completion row (both lists of messages), as TRL's SFTTrainer tokenizes it: the prompt
         * with the generation prompt, then prompt + completion; with completion_only_loss the first as many tokens as
         * the prompt has are -100.
         */
        int[][] tokenize(JsonNode node, String where, Fields f) {
            List<JsonNode> prompt = messages(node, f.prompt(), where);
            List<JsonNode> completion = messages(node, f.completion(), where);
            ChatOptions options = options(node, where);
            int promptLength = apply(prompt, options.withAddGenerationPrompt(true).withReturnAssistantTokensMask(false), where).inputIds().length;
            var all = new ArrayList<>(prompt);
            all.addAll(completion);
            ChatResult r = apply(all, options, where);
            int[] labels = labels(r, where);
            if (f.completionOnlyLoss()) Arrays.fill(labels, 0, Math.min(promptLength, labels.length), -100);
            return new int[][]{r.inputIds(), labels};
        }

        private static List<JsonNode> messages(JsonNode node, String field, String where) {
            JsonNode messages = node.get(field);
            if (messages == null || !messages.isArray()) throw new JllmException(where + ": '" + field + "' must be a list of {\"role\": ..., \"content\": ...} objects");
            var list = new ArrayList<JsonNode>(messages.size());
            for (int i = 0; i < messages.size(); i++) {
                JsonNode m = messages.get(i);
                if (!m.isObject() || !m.path("role").isTextual()) {
                    throw new JllmException(where + ": '" + field + "'[" + i + "] must be an object with a string 'role', got " + m);
                }
                list.add(m);
            }
            if (list.isEmpty()) throw new JllmException(where + ": '" + field + "' is empty");
            return list;
        }

        /** tokenize=True, the mask when asked, and the row's own {@code tools} and {@code chat_template_kwargs}. */
        private ChatOptions options(JsonNode node, String where) {
            ChatOptions options = ChatOptions.defaults().withTokenize(true).withReturnAssistantTokensMask(assistantOnlyLoss);
            JsonNode tools = node.get("tools");
            if (tools != null && !tools.isNull()) {
                if (!tools.isArray()) throw new JllmException(where + ": 'tools' must be a list or null");
                var toolList = new ArrayList<JsonNode>();
                tools.forEach(toolList::add);
                options = options.withTools(toolList);
            }
            JsonNode kwargs = node.get("chat_template_kwargs");
            if (kwargs != null && !kwargs.isNull()) {
                if (!kwargs.isObject()) throw new JllmException(where + ": 'chat_template_kwargs' must be an object");
                Map<String, Object> variables = new LinkedHashMap<>();
                for (Map.Entry<String, JsonNode> e : kwargs.properties()) variables.put(e.getKey(), e.getValue());
                options = options.withVariables(variables);
            }
            return options;
        }

        private ChatResult apply(List<JsonNode> messages, ChatOptions options, String where) {
            ChatTemplate chat = template(where);
            try {
                return chat.applyChatTemplate(messages, options);
            } catch (JllmException e) {
                throw new JllmException(where + ": " + e.getMessage(), e);
            }
        }

        private int[] labels(ChatResult r, String where) {
            int[] labels = r.inputIds().clone();
            if (assistantOnlyLoss) {
                int kept = 0;
                for (int i = 0; i < labels.length; i++) {
                    if (r.assistantMask()[i] == 0) labels[i] = -100;
                    else kept++;
                }
                // TRL raises here too: a row without assistant tokens would train on nothing.
                if (kept == 0) throw new JllmException(where + ": assistant_only_loss is on but the chat template marked no assistant tokens in this row");
            }
            return labels;
        }
    }

    private static int[] withEos(int[] ids, int eosId) {
        if (eosId < 0 || (ids.length > 0 && ids[ids.length - 1] == eosId)) return ids;
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eosId;
        return out;
    }

    private static void need(Function<String, int[]> encoder, String where) {
        if (encoder == null) throw new JllmException(where + ": a text row needs a tokenizer, and the model folder has none");
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) throw new JllmException(where + ": field '" + field + "' must be a string");
        return v.asText();
    }

    private static int[] ints(JsonNode array, String where, String field) {
        if (!array.isArray()) throw new JllmException(where + ": '" + field + "' must be an array of integers");
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = array.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) throw new JllmException(where + ": '" + field + "'[" + i + "] is not an integer: " + v);
            out[i] = v.asInt();
        }
        return out;
    }

    /** A row and where it came from ({@code file:line} or {@code file: element i}), for error messages. */
    private record Row(JsonNode node, String where) {}

    private static List<Row> read(Path file) {
        var rows = new ArrayList<Row>();
        try {
            if (file.toString().endsWith(".json")) {
                JsonNode root = JSON.readTree(Files.readString(file));
                if (!root.isArray()) throw new JllmException(file + ": a .json dataset must be an array of objects (use .jsonl for JSON Lines)");
                for (int i = 0; i < root.size(); i++) rows.add(new Row(root.get(i), file + ": element " + i));
            } else {
                List<String> lines = Files.readAllLines(file);
                for (int i = 0; i < lines.size(); i++) {
                    if (lines.get(i).isBlank()) continue;
                    try {
                        rows.add(new Row(JSON.readTree(lines.get(i)), file + ":" + (i + 1)));
                    } catch (JsonProcessingException e) {
                        throw new JllmException(file + ":" + (i + 1) + ": not valid JSON: " + e.getOriginalMessage());
                    }
                }
            }
        } catch (JsonProcessingException e) {
            throw new JllmException(file + ": not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new JllmException(file + ": cannot read the dataset: " + e.getMessage(), e);
        }
        return rows;
    }
}
