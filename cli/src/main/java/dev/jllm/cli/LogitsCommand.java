package dev.jllm.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.core.JllmException;
import dev.jllm.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code jllm logits}: next-token logits of every position, for conformance checks against other implementations. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Read JSON Lines {\"ids\": [...]} from stdin; for each line write {\"logits\": [[...], ...]} "
                + "(one float32 row per position: the next-token logits after ids[0..t]).")
public final class LogitsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model: a Hugging Face folder or a .gguf file.")
    Path model;

    @Mixin
    RuntimeOptions runtime;

    @Override
    public Integer call() throws Exception {
        runtime.apply();
        ObjectMapper json = new ObjectMapper();
        PrintWriter out = spec.commandLine().getOut();
        try (Model m = Model.load(model);
             BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            int lineNo = 0;
            while ((line = reader.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                int[] ids = parse(json, line, lineNo, m.config().vocabSize());
                float[][] logits = m.logits(ids);
                var sw = new java.io.StringWriter();
                try (JsonGenerator g = json.getFactory().createGenerator(sw)) {
                    g.writeStartObject();
                    g.writeArrayFieldStart("logits");
                    for (float[] row : logits) {
                        g.writeStartArray();
                        for (float v : row) g.writeNumber(v);
                        g.writeEndArray();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                out.println(sw);
                out.flush();
            }
        }
        return 0;
    }

    private static int[] parse(ObjectMapper json, String line, int lineNo, int vocab) {
        JsonNode node;
        try {
            node = json.readTree(line);
        } catch (Exception e) {
            throw new JllmException("stdin line " + lineNo + ": not valid JSON: " + e.getMessage());
        }
        JsonNode ids = node == null ? null : node.get("ids");
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            throw new JllmException("stdin line " + lineNo + ": expected {\"ids\": [...]} with at least one id");
        }
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = ids.get(i);
            if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 0 || v.asInt() >= vocab) {
                throw new JllmException("stdin line " + lineNo + ": ids[" + i + "] = " + v + " is not a token id in [0, " + vocab + ")");
            }
            out[i] = v.asInt();
        }
        return out;
    }
}
