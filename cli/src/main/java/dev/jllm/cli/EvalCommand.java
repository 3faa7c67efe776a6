package dev.jllm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jllm.core.JllmException;
import dev.jllm.eval.embed.SentenceEncoder;
import dev.jllm.eval.report.HtmlReport;
import dev.jllm.eval.sandbox.PythonSandbox;
import dev.jllm.eval.task.BenchmarkRunner;
import dev.jllm.eval.task.EvalRun;
import dev.jllm.eval.task.JllmModel;
import dev.jllm.eval.task.PromptTemplate;
import dev.jllm.eval.task.Task;
import dev.jllm.eval.task.TaskKind;
import dev.jllm.eval.task.Tasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code jllm eval}: a benchmark run of a model (optionally with a LoRA adapter), as JSON and an HTML report. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a model on a task (gsm8k, humaneval, lamini-qa or a JSON Lines file) and write the results as "
                + "JSON and a self-contained HTML report; --compare puts earlier runs beside it (before/after). "
                + "Prints the corpus metrics as JSON; progress goes to stderr.")
public final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", description = "Model: a Hugging Face folder or a .gguf file. Without it, only --compare runs are reported.")
    Path model;

    @Option(names = "--adapter", paramLabel = "DIR",
            description = "A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors) merged into --model (a Hugging Face folder).")
    Path adapter;

    @Option(names = "--task", description = "gsm8k, humaneval, lamini-qa (the last 10% of lamini_docs.jsonl) or a JSON Lines file.")
    String task;

    @Option(names = "--metrics", split = ",", paramLabel = "NAME",
            description = "Generation tasks: exact_match, gsm8k, bleu, rouge, meteor, bertscore, similarity, perplexity; multiple choice: acc, acc_norm; "
                    + "code: pass@k. Default: the task's own.")
    List<String> metrics = new ArrayList<>();

    @Option(names = "--datasets", description = "Folder holding the built-in tasks' data (laid out like ../shared/datasets).")
    Path datasets = Path.of("../shared/datasets");

    @Option(names = "--limit", description = "Evaluate at most this many examples (0 = all).")
    int limit;

    @Option(names = "--offset", description = "Skip this many examples first.")
    int offset;

    @Option(names = "--shots", description = "Few-shot examples put before each prompt (0 = zero-shot).")
    int shots;

    @Option(names = "--template", description = "Prompt template with {field} placeholders (e.g. \"Q: {question}\\nA:\"), replacing the task's.")
    String template;

    @Option(names = "--batch-size", description = "Sequences generated concurrently.")
    int batchSize = 4;

    @Option(names = "--samples", description = "Completions per problem for code tasks (pass@k needs k <= samples; use --do-sample for k > 1).")
    int samples = 1;

    @Option(names = "--encoder", paramLabel = "PATH",
            description = "Encoder for the bertscore and similarity metrics: a BERT folder (config.json, safetensors, WordPiece tokenizer.json, "
                    + "optional sentence-transformers modules.json) or a BERT .onnx file with its tokenizer.json beside it.")
    Path encoderPath;

    @Option(names = "--chat", description = "Wrap each prompt as a user message in the model's chat template.")
    boolean chat;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--timeout", description = "Seconds each generated program may run (code tasks).")
    int timeoutSeconds = 10;

    @Option(names = "--allow-unisolated",
            description = "Run generated code even where no network namespace can be made (resource limits only). Off: such machines refuse code tasks.")
    boolean allowUnisolated;

    @Mixin
    RuntimeOptions runtime;

    @Option(names = "--output", paramLabel = "FILE", description = "Where to write this run's JSON (default eval-<task>.json).")
    Path output;

    @Option(names = "--html", paramLabel = "FILE", description = "Where to write the HTML report (default: the JSON's name with .html).")
    Path html;

    @Option(names = "--compare", paramLabel = "RUN.json", description = "An earlier run's JSON to show before this one in the report (repeatable).")
    List<Path> compare = new ArrayList<>();

    @Override
    public Integer call() {
        runtime.apply();
        List<EvalRun> runs = new ArrayList<>();
        for (Path p : compare) runs.add(EvalRun.read(p));
        Map<String, Object> printed = new LinkedHashMap<>();
        if (model == null) {
            if (runs.isEmpty()) throw new JllmException("give --model (and --task) to evaluate, or --compare RUN.json files to report");
            if (html == null) throw new JllmException("a report of --compare runs needs --html FILE");
        } else {
            if (task == null) throw new JllmException("--task is required with --model");
            EvalRun run = evaluate();
            Path json = output != null ? output : Path.of("eval-" + run.task() + ".json");
            run.write(json);
            if (html == null) html = json.resolveSibling(json.getFileName().toString().replaceFirst("\\.json$", "") + ".html");
            runs.add(run);
            printed.put("task", run.task());
            printed.put("model", run.model());
            if (run.adapter() != null) printed.put("adapter", run.adapter());
            printed.put("examples", run.examples().size());
            printed.put("metrics", run.metrics());
            printed.put("seconds", run.seconds());
            printed.put("json", json.toString());
        }
        HtmlReport.write(runs, html);
        printed.put("html", html.toString());
        try {
            spec.commandLine().getOut().println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(printed));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }

    private EvalRun evaluate() {
        Task t = Tasks.load(task, datasets);
        if (template != null) {
            t = new Task(t.name(), t.kind(), t.examples(), t.shotPool(),
                    new PromptTemplate(template.replace("\\n", "\n"), t.template().answerPrefix(), t.template().shotSeparator()),
                    t.defaultMetrics(), t.stop());
        }
        SentenceEncoder encoder = null;
        if (metrics.contains("bertscore") || metrics.contains("similarity")) {
            if (encoderPath == null) throw new JllmException("metrics bertscore and similarity need --encoder PATH");
            encoder = SentenceEncoder.load(encoderPath);
        }
        PythonSandbox sandbox = null;
        if (t.kind() == TaskKind.CODE) {
            PythonSandbox.Limits d = PythonSandbox.Limits.defaults();
            sandbox = PythonSandbox.create(new PythonSandbox.Limits(Duration.ofSeconds(timeoutSeconds), d.memoryBytes(),
                    d.maxProcesses(), d.maxFileBytes(), timeoutSeconds), allowUnisolated);
        }
        Map<String, Object> extra = new LinkedHashMap<>();
        try (JllmModel m = JllmModel.load(model, adapter, sampling::apply, chat)) {
            var o = m.options();
            Map<String, Object> gen = new LinkedHashMap<>();
            gen.put("do_sample", o.doSample());
            gen.put("max_new_tokens", o.maxNewTokens());
            gen.put("max_length", o.maxLength());
            gen.put("temperature", o.temperature());
            gen.put("top_k", o.topK());
            gen.put("top_p", o.topP());
            gen.put("repetition_penalty", o.repetitionPenalty());
            gen.put("seed", o.seed());
            extra.put("generation", gen);
            extra.put("chat", chat);
            if (encoder != null) extra.put("encoder", encoderPath.toString());
            BenchmarkRunner runner = new BenchmarkRunner(m, encoder, sandbox, System.err);
            return runner.run(t, new BenchmarkRunner.Options(offset, limit, shots, batchSize, samples, metrics), model.toString(),
                    adapter == null ? null : adapter.toString(), extra);
        } finally {
            if (encoder != null) encoder.close();
        }
    }
}
