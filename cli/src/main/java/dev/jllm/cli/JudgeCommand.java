package dev.jllm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jllm.core.JllmException;
import dev.jllm.eval.judge.JudgePrompts;
import dev.jllm.eval.judge.LlmJudge;
import dev.jllm.eval.task.EvalRun;
import dev.jllm.eval.task.ExampleResult;
import dev.jllm.eval.task.JllmModel;
import dev.jllm.eval.task.ProgressBar;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jllm judge}: LLM-as-a-judge with any jllm model. */
@Command(name = "judge", mixinStandardHelpOptions = true,
        description = "Judge answers with a model: pairwise (each pair asked in both orders; disagreeing verdicts are ties), "
                + "pointwise 1-10 rating against a rubric, or safety flagging; --reference-guided adds each item's reference. "
                + "Items come from a JSON Lines file or from jllm eval runs. Prints the summary as JSON.")
public final class JudgeCommand implements Callable<Integer> {
    enum Mode { pairwise, pointwise, safety }

    @Spec
    CommandSpec spec;

    @Option(names = "--judge-model", required = true, description = "The judge: a Hugging Face folder or a .gguf file.")
    Path judgeModel;

    @Option(names = "--mode", required = true, description = "pairwise, pointwise or safety.")
    Mode mode;

    @Option(names = "--input", paramLabel = "FILE.jsonl",
            description = "One JSON object per line: question, answer (pointwise/safety) or answer_a and answer_b (pairwise), optional reference and id.")
    Path input;

    @Option(names = "--runs", arity = "1..2", paramLabel = "RUN.json",
            description = "jllm eval runs instead of --input: one run (pointwise/safety on its predictions) or two (pairwise, A = first, B = second, matched by example id).")
    List<Path> runs = new ArrayList<>();

    @Option(names = "--reference-guided", description = "Show the judge each item's reference answer.")
    boolean referenceGuided;

    @Option(names = "--rubric", description = "What the judge should weigh (pairwise and pointwise).")
    String rubric = JudgePrompts.DEFAULT_RUBRIC;

    @Option(names = "--template", paramLabel = "NAME=FILE",
            description = "Replace a prompt template (pairwise, pairwise-reference, pointwise, pointwise-reference, safety) with a file's text; "
                    + "placeholders {question} {answer} {answer_a} {answer_b} {reference} {rubric}.")
    Map<String, Path> templates = new LinkedHashMap<>();

    @Option(names = "--chat", negatable = true, description = "Send prompts through the judge's chat template (default: when it has one).")
    Boolean chat;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--limit", description = "Judge at most this many items (0 = all).")
    int limit;

    @Option(names = "--output", paramLabel = "FILE", description = "Write every item's verdict and the judge's raw outputs as JSON.")
    Path output;

    @Mixin
    RuntimeOptions runtime;

    record Item(String id, String question, String a, String b, String reference) {}

    @Override
    public Integer call() throws IOException {
        runtime.apply();
        List<Item> items = input != null ? readInput() : readRuns();
        if (limit > 0 && items.size() > limit) items = items.subList(0, limit);
        if (items.isEmpty()) throw new JllmException("nothing to judge");
        JudgePrompts prompts = JudgePrompts.defaults();
        for (var e : templates.entrySet()) prompts = prompts.with(e.getKey(), e.getValue());
        boolean useChat = chat != null ? chat : hasChatTemplate(judgeModel);
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        Map<String, Object> result = new LinkedHashMap<>();
        List<Map<String, Object>> perItem = new ArrayList<>();
        try (JllmModel judgeLm = JllmModel.load(judgeModel, null, sampling::apply, useChat)) {
            LlmJudge judge = new LlmJudge(p -> judgeLm.generate(p, List.of()), prompts, rubric);
            ProgressBar bar = new ProgressBar(System.err, "judge " + mode, items.size());
            List<LlmJudge.PairwiseResult> pair = new ArrayList<>();
            List<LlmJudge.PointwiseResult> point = new ArrayList<>();
            List<LlmJudge.SafetyResult> safe = new ArrayList<>();
            int done = 0;
            for (Item it : items) {
                String ref = referenceGuided ? requireReference(it) : null;
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("id", it.id());
                switch (mode) {
                    case pairwise -> {
                        if (it.b() == null) throw new JllmException("item " + it.id() + ": pairwise needs answer_a and answer_b");
                        LlmJudge.PairwiseResult r = judge.pairwise(it.question(), it.a(), it.b(), ref);
                        pair.add(r);
                        row.put("verdict", r.verdict().name());
                        row.put("first_order", r.firstOrder().name());
                        row.put("swapped_order", r.swappedOrder().name());
                        row.put("consistent", r.consistent());
                        row.put("first_output", r.firstOutput());
                        row.put("swapped_output", r.swappedOutput());
                    }
                    case pointwise -> {
                        LlmJudge.PointwiseResult r = judge.pointwise(it.question(), it.a(), ref);
                        point.add(r);
                        row.put("rating", r.rating().isPresent() ? r.rating().getAsDouble() : null);
                        row.put("output", r.output());
                    }
                    case safety -> {
                        LlmJudge.SafetyResult r = judge.safety(it.question(), it.a());
                        safe.add(r);
                        row.put("verdict", r.verdict().name());
                        row.put("output", r.output());
                    }
                }
                perItem.add(row);
                bar.update(++done);
            }
            result.put("mode", mode.name());
            result.put("judge_model", judgeModel.toString());
            result.put("reference_guided", referenceGuided);
            result.put("summary", switch (mode) {
                case pairwise -> LlmJudge.summarizePairwise(pair);
                case pointwise -> LlmJudge.summarizePointwise(point);
                case safety -> LlmJudge.summarizeSafety(safe);
            });
        }
        if (output != null) {
            Map<String, Object> full = new LinkedHashMap<>(result);
            full.put("items", perItem);
            Path tmp = output.toAbsolutePath().resolveSibling(output.getFileName() + ".tmp");
            json.writeValue(tmp.toFile(), full);
            Files.move(tmp, output.toAbsolutePath(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            result.put("output", output.toString());
        }
        spec.commandLine().getOut().println(json.writeValueAsString(result));
        spec.commandLine().getOut().flush();
        return 0;
    }

    private static boolean hasChatTemplate(Path model) {
        try {
            dev.jllm.text.chat.ChatTemplate.load(model);
            return true;
        } catch (JllmException e) {
            return false;
        }
    }

    private static String requireReference(Item it) {
        if (it.reference() == null) throw new JllmException("item " + it.id() + " has no reference (needed by --reference-guided)");
        return it.reference();
    }

    private List<Item> readInput() throws IOException {
        if (!runs.isEmpty()) throw new JllmException("give --input or --runs, not both");
        ObjectMapper json = new ObjectMapper();
        List<Item> items = new ArrayList<>();
        List<String> lines = Files.readAllLines(input);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            JsonNode n;
            try {
                n = json.readTree(lines.get(i));
            } catch (IOException e) {
                throw new JllmException(input + ":" + (i + 1) + ": not JSON: " + e.getMessage());
            }
            String q = text(n, "question", i), ref = n.path("reference").isTextual() ? n.get("reference").asText() : null;
            String id = n.has("id") ? n.get("id").asText() : String.valueOf(i);
            if (mode == Mode.pairwise) items.add(new Item(id, q, text(n, "answer_a", i), text(n, "answer_b", i), ref));
            else items.add(new Item(id, q, text(n, "answer", i), null, ref));
        }
        return items;
    }

    private String text(JsonNode n, String field, int line) {
        if (!n.path(field).isTextual()) throw new JllmException(input + ":" + (line + 1) + ": field '" + field + "' is missing or not a string");
        return n.get(field).asText();
    }

    private List<Item> readRuns() {
        if (runs.isEmpty()) throw new JllmException("give --input FILE.jsonl or --runs RUN.json");
        if (mode == Mode.pairwise && runs.size() != 2) throw new JllmException("pairwise judging of runs needs two --runs files");
        if (mode != Mode.pairwise && runs.size() != 1) throw new JllmException(mode + " judging of runs needs one --runs file");
        EvalRun first = EvalRun.read(runs.getFirst());
        Map<String, ExampleResult> second = new LinkedHashMap<>();
        if (runs.size() == 2) for (ExampleResult e : EvalRun.read(runs.get(1)).examples()) second.put(e.id(), e);
        List<Item> items = new ArrayList<>();
        for (ExampleResult e : first.examples()) {
            String ref = e.references().isEmpty() ? null : e.references().getFirst();
            if (runs.size() == 2) {
                ExampleResult b = second.get(e.id());
                if (b == null) continue;
                items.add(new Item(e.id(), e.prompt(), e.predictions().getFirst(), b.predictions().getFirst(), ref));
            } else {
                items.add(new Item(e.id(), e.prompt(), e.predictions().getFirst(), null, ref));
            }
        }
        return items;
    }
}
