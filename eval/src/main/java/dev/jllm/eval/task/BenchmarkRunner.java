package dev.jllm.eval.task;

import dev.jllm.core.JllmException;
import dev.jllm.eval.bench.PassAtK;
import dev.jllm.eval.embed.SentenceEncoder;
import dev.jllm.eval.humaneval.HumanEval;
import dev.jllm.eval.sandbox.PythonSandbox;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a task against a model: renders prompts (zero- or few-shot), generates in batches of concurrent sequences,
 * scores, and returns the whole run. Few-shot prompts take the first {@code shots} items of the task's shot pool
 * other than the item being asked.
 */
public final class BenchmarkRunner {

    /**
     * @param offset    first example
     * @param limit     how many examples (0 = all)
     * @param batchSize sequences generated concurrently
     * @param samples   completions per problem for code tasks (pass@k needs k ≤ samples)
     */
    public record Options(int offset, int limit, int shots, int batchSize, int samples, List<String> metrics) {
        public Options {
            if (offset < 0 || limit < 0 || shots < 0) throw new JllmException("offset, limit and shots must not be negative");
            if (batchSize < 1) throw new JllmException("batch size must be at least 1, got " + batchSize);
            if (samples < 1) throw new JllmException("samples must be at least 1, got " + samples);
        }
    }

    private final ModelUnderTest model;
    private final SentenceEncoder bertScoreEncoder;
    private final PythonSandbox sandbox;
    private final PrintStream progressOut;

    /** {@code bertScoreEncoder}, {@code sandbox} and {@code progressOut} may be null when not needed. */
    public BenchmarkRunner(ModelUnderTest model, SentenceEncoder bertScoreEncoder, PythonSandbox sandbox, PrintStream progressOut) {
        this.model = model;
        this.bertScoreEncoder = bertScoreEncoder;
        this.sandbox = sandbox;
        this.progressOut = progressOut;
    }

    public EvalRun run(Task task, Options options, String modelName, String adapterName, Map<String, Object> extraSettings) {
        List<String> metrics = options.metrics() == null || options.metrics().isEmpty() ? task.defaultMetrics() : options.metrics();
        TextMetrics.validate(metrics, task.kind());
        List<Example> examples = select(task.examples(), options);
        if (examples.isEmpty()) throw new JllmException("task " + task.name() + ": no example in the selected range");
        List<String> prompts = new ArrayList<>();
        for (Example e : examples) prompts.add(task.template().render(e, shotsFor(task, e, options.shots())));
        long t0 = System.nanoTime();
        String started = Instant.now().toString();
        List<ExampleResult> results = new ArrayList<>();
        Map<String, Double> corpus = switch (task.kind()) {
            case GENERATE -> generateAndScore(task, examples, prompts, metrics, options, results);
            case MULTIPLE_CHOICE -> multipleChoice(task, examples, prompts, metrics, results);
            case CODE -> code(task, examples, prompts, metrics, options, results);
        };
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("kind", task.kind().name().toLowerCase());
        settings.put("examples", examples.size());
        settings.put("offset", options.offset());
        settings.put("shots", options.shots());
        settings.put("batch_size", options.batchSize());
        if (task.kind() == TaskKind.CODE) {
            settings.put("samples", options.samples());
            settings.put("sandbox", sandbox.isolation());
        }
        settings.put("template", task.template().template());
        settings.put("metrics", metrics);
        if (extraSettings != null) settings.putAll(extraSettings);
        return new EvalRun(modelName, adapterName, task.name(), settings, corpus, results, started, (System.nanoTime() - t0) / 1e9);
    }

    private static List<Example> select(List<Example> all, Options o) {
        int from = Math.min(o.offset(), all.size());
        int to = o.limit() == 0 ? all.size() : Math.min(all.size(), from + o.limit());
        return all.subList(from, to);
    }

    static List<Example> shotsFor(Task task, Example e, int k) {
        List<Example> shots = new ArrayList<>();
        for (Example s : task.shotPool()) {
            if (shots.size() == k) break;
            if (!s.id().equals(e.id())) shots.add(s);
        }
        if (shots.size() < k) throw new JllmException("task " + task.name() + " has only " + shots.size() + " few-shot examples, " + k + " asked");
        return shots;
    }

    /** Generates {@code copies} completions of every prompt, {@code batchSize} at a time. */
    private List<List<String>> generateAll(List<String> prompts, List<String> stop, int copies, int batchSize, String label) {
        int total = prompts.size() * copies;
        ProgressBar bar = new ProgressBar(progressOut, label, total);
        AtomicInteger done = new AtomicInteger();
        bar.update(0);
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) out.add(new ArrayList<>(java.util.Collections.nCopies(copies, "")));
        try (ExecutorService pool = Executors.newFixedThreadPool(batchSize)) {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                for (int c = 0; c < copies; c++) {
                    int pi = i, ci = c;
                    futures.add(pool.submit(() -> {
                        String text = ModelUnderTest.cutAtStop(model.generate(prompts.get(pi), stop), stop);
                        synchronized (out) {
                            out.get(pi).set(ci, text);
                        }
                        bar.update(done.incrementAndGet());
                    }));
                }
            }
            for (Future<?> f : futures) f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) throw re;
            throw new JllmException("generation failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JllmException("interrupted", e);
        }
        return out;
    }

    private Map<String, Double> generateAndScore(Task task, List<Example> examples, List<String> prompts, List<String> metrics,
                                                 Options options, List<ExampleResult> results) {
        List<List<String>> gens = generateAll(prompts, task.stop(), 1, options.batchSize(), task.name());
        List<String> predictions = gens.stream().map(List::getFirst).toList();
        List<List<String>> refs = examples.stream().map(Example::references).toList();
        for (int i = 0; i < refs.size(); i++) {
            if (refs.get(i).isEmpty()) throw new JllmException("example '" + examples.get(i).id() + "' has no reference");
        }
        List<Map<String, Double>> per = new ArrayList<>();
        for (int i = 0; i < examples.size(); i++) per.add(new LinkedHashMap<>());
        Map<String, Double> corpus = TextMetrics.score(metrics, prompts, predictions, refs, per, model, bertScoreEncoder);
        for (int i = 0; i < examples.size(); i++) {
            results.add(new ExampleResult(examples.get(i).id(), prompts.get(i), refs.get(i), List.of(predictions.get(i)), per.get(i), Map.of()));
        }
        return corpus;
    }

    private Map<String, Double> multipleChoice(Task task, List<Example> examples, List<String> prompts, List<String> metrics,
                                               List<ExampleResult> results) {
        ProgressBar bar = new ProgressBar(progressOut, task.name(), examples.size());
        double acc = 0, accNorm = 0;
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            MultipleChoice.Outcome o = MultipleChoice.score(model.logits(), model.tokenizer(), prompts.get(i), e.choices(), e.gold());
            Map<String, Double> s = new LinkedHashMap<>();
            s.put("acc", o.acc());
            s.put("acc_norm", o.accNorm());
            acc += o.acc();
            accNorm += o.accNorm();
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("choices", e.choices());
            details.put("loglikelihoods", o.logLikelihoods());
            details.put("gold", e.gold());
            results.add(new ExampleResult(e.id(), prompts.get(i), List.of(e.choices().get(e.gold())),
                    List.of(e.choices().get(o.predicted())), s, details));
            bar.update(i + 1);
        }
        Map<String, Double> corpus = new LinkedHashMap<>();
        if (metrics.contains("acc")) corpus.put("acc", acc / examples.size());
        if (metrics.contains("acc_norm")) corpus.put("acc_norm", accNorm / examples.size());
        return corpus;
    }

    private Map<String, Double> code(Task task, List<Example> examples, List<String> prompts, List<String> metrics,
                                     Options options, List<ExampleResult> results) {
        if (sandbox == null) throw new JllmException("code tasks need a sandbox");
        List<List<String>> gens = generateAll(prompts, task.stop(), options.samples(), options.batchSize(), task.name() + " generate");
        ProgressBar bar = new ProgressBar(progressOut, task.name() + " execute", examples.size() * options.samples());
        int[] n = new int[examples.size()], c = new int[examples.size()];
        int done = 0;
        for (int i = 0; i < examples.size(); i++) {
            Example e = examples.get(i);
            HumanEval.Problem p = new HumanEval.Problem(e.id(), e.field("prompt"), "", e.field("test"), e.field("entry_point"));
            List<Map<String, Object>> runs = new ArrayList<>();
            for (String completion : gens.get(i)) {
                PythonSandbox.Result r = sandbox.run(HumanEval.program(p, completion));
                n[i]++;
                if (r.passed()) c[i]++;
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("status", r.status().name().toLowerCase());
                d.put("output", r.output());
                d.put("millis", r.millis());
                runs.add(d);
                bar.update(++done);
            }
            Map<String, Double> s = new LinkedHashMap<>();
            s.put("passed", (double) c[i]);
            s.put("samples", (double) n[i]);
            for (String m : metrics) s.put(m, PassAtK.estimate(n[i], c[i], k(m, options.samples())));
            results.add(new ExampleResult(e.id(), prompts.get(i), e.references(), gens.get(i), s, Map.of("runs", runs)));
        }
        Map<String, Double> corpus = new LinkedHashMap<>();
        for (String m : metrics) corpus.put(m, PassAtK.mean(n, c, k(m, options.samples())));
        return corpus;
    }

    private static int k(String metric, int samples) {
        int k = Integer.parseInt(metric.substring("pass@".length()));
        if (k > samples) throw new JllmException(metric + " needs at least " + k + " samples per problem; got " + samples);
        return k;
    }
}
