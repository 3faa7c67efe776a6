package dev.jllm.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.core.JllmException;
import dev.jllm.text.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jllm tokenize}: text to token ids, exactly as Hugging Face tokenizers would produce them. */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Turn text into token ids exactly as Hugging Face tokenizers would.",
                "With --text, prints the ids as a JSON array. Without it, reads JSON Lines from stdin, one "
                        + "{\"text\": ..., \"add_special_tokens\": optional bool} per line, and writes one "
                        + "{\"ids\": [...], \"decoded\": ...} line per input line, in order."})
public final class TokenizeCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "Model folder, tokenizer.json, SentencePiece tokenizer.model or .gguf file.")
    Path tokenizerPath;

    @Option(names = "--no-special-tokens", description = "Do not add special tokens (BOS...). A JSON Lines input line may override it with \"add_special_tokens\".")
    boolean noSpecialTokens;

    @Option(names = "--text", paramLabel = "TEXT", description = "Text to tokenize; when absent, JSON Lines are read from stdin.")
    String text;

    @Override
    public Integer call() throws IOException {
        Tokenizer tokenizer = Tokenizer.load(tokenizerPath);
        PrintWriter out = spec.commandLine().getOut();
        if (text != null) {
            out.println(JSON.writeValueAsString(tokenizer.encode(text, !noSpecialTokens)));
            out.flush();
            return 0;
        }
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            JsonNode request = parse(line, number);
            boolean special = !noSpecialTokens;
            JsonNode flag = request.get("add_special_tokens");
            if (flag != null && !flag.isNull()) {
                if (!flag.isBoolean()) throw new JllmException("stdin line " + number + ": \"add_special_tokens\" must be true or false");
                special = flag.asBoolean();
            }
            int[] ids = tokenizer.encode(request.get("text").asText(), special);
            ObjectNode reply = JSON.createObjectNode();
            var idArray = reply.putArray("ids");
            for (int id : ids) idArray.add(id);
            reply.put("decoded", tokenizer.decode(ids, false));
            out.println(JSON.writeValueAsString(reply));
            out.flush();
        }
        return 0;
    }

    private static JsonNode parse(String line, int number) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new JllmException("stdin line " + number + ": malformed JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) throw new JllmException("stdin line " + number + ": expected a JSON object {\"text\": ...}");
        if (!node.path("text").isTextual()) throw new JllmException("stdin line " + number + ": \"text\" is missing or not a string");
        return node;
    }
}
