package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TemplateCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Run(int exitCode, List<JsonNode> lines, String err) {}

    private static Run run(String stdin, String... args) throws Exception {
        String[] full = new String[args.length + 1];
        full[0] = "template";
        System.arraycopy(args, 0, full, 1, args.length);
        CliRun r = CliRun.runWithInput(stdin, full);
        List<JsonNode> lines = new ArrayList<>();
        for (String l : r.out().split("\n")) if (!l.isBlank()) lines.add(JSON.readTree(l));
        return new Run(r.code(), lines, r.err());
    }

    /** The first case of every template in the fixtures goes through the command; outputs must match exactly. */
    @Test
    void rendersAConformanceSampleThroughTheCommand() throws Exception {
        Path dir = Fixtures.resolve("chat_templates");
        List<JsonNode> sample = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        StringBuilder stdin = new StringBuilder();
        for (String line : Fixtures.jsonLines(dir.resolve("cases.jsonl"))) {
            JsonNode c = JSON.readTree(line);
            if (!seen.add(c.get("template").textValue())) continue;
            sample.add(c);
            ObjectNode request = JSON.createObjectNode();
            for (String key : List.of("template_file", "messages", "tools", "add_generation_prompt", "bos_token",
                    "eos_token", "extra_context")) {
                request.set(key, c.get(key));
            }
            stdin.append(JSON.writeValueAsString(request)).append('\n');
        }
        Run run = run(stdin.toString(), "--base-dir", dir.toString(), "--now", "2025-01-15T10:30:00");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(sample.size(), run.lines().size());
        for (int i = 0; i < sample.size(); i++) {
            JsonNode c = sample.get(i), got = run.lines().get(i);
            String id = c.get("id").textValue();
            if (c.has("expected_error")) {
                assertTrue(got.has("error"), id + ": expected an error, got " + got);
            } else {
                assertEquals(c.get("expected").textValue(), got.path("rendered").textValue(), id + ": " + got);
            }
        }
    }

    @Test
    void templateOptionBadLinesAndUndefinedTokens(@TempDir Path tmp) throws Exception {
        Path t = tmp.resolve("t.jinja");
        Files.writeString(t, "{{ bos_token }}{% for m in messages %}[{{ m.content }}]{% endfor %}"
                + "{% if add_generation_prompt %}>{% endif %}{{ strftime_now('%d %b %Y') }}{{ extra }}");
        String stdin = """
                {"messages": [{"role": "user", "content": "héllo"}], "add_generation_prompt": true, "bos_token": "<s>", "extra_context": {"extra": "!"}}
                not json
                {"messages": [], "bos_token": null}

                {"messages": "oops"}
                """;
        Run run = run(stdin, "--template", t.toString(), "--now", "2025-01-15T10:30:00");
        assertEquals(0, run.exitCode(), run.err());
        assertEquals(4, run.lines().size());
        assertEquals("<s>[héllo]>15 Jan 2025!", run.lines().get(0).get("rendered").textValue());
        assertTrue(run.lines().get(1).get("error").textValue().contains("line 2"), run.lines().get(1).toString());
        assertEquals("15 Jan 2025", run.lines().get(2).get("rendered").textValue());
        assertTrue(run.lines().get(3).get("error").textValue().contains("'messages'"), run.lines().get(3).toString());
    }

    @Test
    void raiseExceptionBecomesAnErrorLineNamingTheTemplateAndLine(@TempDir Path tmp) throws Exception {
        Path t = tmp.resolve("strict.jinja");
        Files.writeString(t, "ok\n{% if messages|length == 0 %}{{ raise_exception('need a message') }}{% endif %}");
        Run run = run("{\"messages\": []}\n", "--template", t.toString());
        String error = run.lines().getFirst().get("error").textValue();
        assertTrue(error.contains("need a message") && error.contains("line 2") && error.contains("strict.jinja"), error);
    }

    @Test
    void modelTemplateAndTokensWithAFileOverride(@TempDir Path tmp) throws Exception {
        Path model = Fixtures.resolve("models", "stories260K-hf");
        Files.writeString(tmp.resolve("other.jinja"), "{{ bos_token }}[{{ messages[0].content }}]{{ eos_token }}");
        String stdin = """
                {"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": true}
                {"template_file": "other.jinja", "messages": [{"role": "user", "content": "Hi"}]}
                """;
        Run run = run(stdin, "--model", model.toString(), "--base-dir", tmp.toString());
        assertEquals("<s>User: Hi\nAssistant:", run.lines().get(0).get("rendered").textValue());
        assertEquals("<s>[Hi]</s>", run.lines().get(1).get("rendered").textValue());
    }

    @Test
    void missingTemplateIsAnErrorLine() throws Exception {
        Run run = run("{\"messages\": []}\n");
        assertTrue(run.lines().getFirst().get("error").textValue().contains("no template"));
    }

    @Test
    void modelWithoutTemplateFailsClearly(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        Run run = run("{\"messages\": []}\n", "--model", tmp.toString());
        assertEquals(2, run.exitCode());
        assertTrue(run.err().contains("no chat template"), run.err());
    }
}
