package dev.jllm.eval.task;

import dev.jllm.eval.perplexity.LogitsSource;
import dev.jllm.eval.report.HtmlReport;
import dev.jllm.eval.sandbox.PythonSandbox;
import dev.jllm.model.Model;
import dev.jllm.testkit.Fixtures;
import dev.jllm.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchmarkRunnerTest {

    /** A fake model that answers GSM8K questions from a table (right for some, wrong for others). */
    static final class TableModel implements ModelUnderTest {
        final Map<String, String> answers;

        TableModel(Map<String, String> answers) {
            this.answers = answers;
        }

        @Override
        public String generate(String prompt, List<String> stop) {
            for (var e : answers.entrySet()) if (prompt.endsWith(e.getKey() + "\nAnswer:")) return e.getValue();
            return " I don't know.\n\nQuestion: leaked next question";
        }

        @Override
        public LogitsSource logits() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Tokenizer tokenizer() {
            throw new UnsupportedOperationException();
        }
    }

    @Test
    void gsm8kFewShotRunScoresAndReports(@TempDir Path dir) {
        Task task = Tasks.load("gsm8k", Fixtures.resolve("datasets"));
        List<Example> first = task.examples().subList(0, 4);
        Map<String, String> table = Map.of(
                first.get(0).field("question"), " She sells 16 - 3 - 4 = 9 eggs, 9 * 2 = $18.\n#### 18",
                first.get(1).field("question"), " The answer is \\boxed{3}.",
                first.get(2).field("question"), " 1,000 dollars");
        BenchmarkRunner runner = new BenchmarkRunner(new TableModel(table), null, null, null);
        EvalRun run = runner.run(task, new BenchmarkRunner.Options(0, 4, 2, 3, 1, List.of("gsm8k", "exact_match")), "table", null, null);
        assertEquals(4, run.examples().size());
        // Example 0 (Janet's ducks, 18) and 1 (robe, 3) are right; 2 (house flipping, 70000) and 3 are wrong.
        assertEquals(0.5, run.metrics().get("gsm8k"), 1e-12);
        assertEquals(1.0, run.examples().get(0).scores().get("gsm8k"));
        // Two shots, neither being the question itself, precede the question.
        String p0 = run.examples().get(0).prompt();
        assertEquals(3, p0.split("Question: ", -1).length - 1);
        assertTrue(p0.endsWith(first.get(0).field("question") + "\nAnswer:"));
        assertTrue(p0.indexOf(first.get(0).field("question")) == p0.lastIndexOf(first.get(0).field("question")));
        // Stop strings cut the leaked next question.
        assertEquals(" I don't know.", run.examples().get(3).predictions().getFirst());

        Path json = dir.resolve("run.json");
        run.write(json);
        EvalRun back = EvalRun.read(json);
        assertEquals(run.metrics(), back.metrics());
        EvalRun after = new EvalRun("table", "adapter-x", run.task(), run.settings(), Map.of("gsm8k", 0.75, "exact_match", 0.0),
                run.examples(), run.startedAt(), 1.0);
        String html = HtmlReport.render(List.of(back, after));
        assertTrue(html.contains("+0.2500"));
        assertTrue(html.contains("<svg"));
        assertTrue(html.contains("adapter-x"));
        // Self-contained: nothing is loaded from elsewhere.
        assertTrue(!html.contains("<script") && !html.contains("src=") && !html.contains("<link") && !html.contains("url("));
        assertTrue(html.contains("&lt;&lt;") || !p0.contains("<<"));
    }

    @Test
    void humanEvalRunWithSandbox() {
        Task task = Tasks.load("humaneval", Fixtures.resolve("datasets"));
        Map<String, String> canonical = new java.util.HashMap<>();
        for (Example e : task.examples()) canonical.put(e.field("prompt"), e.references().getFirst());
        ModelUnderTest model = new ModelUnderTest() {
            public String generate(String prompt, List<String> stop) {
                // The canonical body, followed by junk a model might add after the function (cut by the stop strings).
                return canonical.get(prompt) + "\ndef extra():\n    raise SystemExit(1)\n";
            }

            public LogitsSource logits() {
                throw new UnsupportedOperationException();
            }

            public Tokenizer tokenizer() {
                throw new UnsupportedOperationException();
            }
        };
        PythonSandbox sandbox = PythonSandbox.create(new PythonSandbox.Limits(Duration.ofSeconds(5), 1L << 30, 32, 1 << 20, 5), false);
        EvalRun run = new BenchmarkRunner(model, null, sandbox, null)
                .run(task, new BenchmarkRunner.Options(0, 3, 0, 2, 2, List.of("pass@1", "pass@2")), "canonical", null, null);
        assertEquals(1.0, run.metrics().get("pass@1"));
        assertEquals(1.0, run.metrics().get("pass@2"));
    }

    @Test
    void multipleChoiceOnStoriesModel(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mc.jsonl");
        Files.writeString(file, """
                {"id": "q1", "prompt": "Once upon a time, there was a little", "choices": ["girl", "xylophone quantum"], "gold": 0}
                {"id": "q2", "prompt": "Lily and Tom went to the", "choices": ["park", "zzz qqq"], "gold": 0}
                """);
        Task task = Tasks.load(file.toString(), Fixtures.resolve("datasets"));
        assertEquals(TaskKind.MULTIPLE_CHOICE, task.kind());
        Path modelDir = Fixtures.resolve("models", "stories260K-hf");
        try (Model model = Model.load(modelDir)) {
            Tokenizer tok = Tokenizer.load(modelDir);
            LogitsSource src = dev.jllm.eval.perplexity.Perplexity.of(model);
            ModelUnderTest mut = new ModelUnderTest() {
                public String generate(String prompt, List<String> stop) {
                    throw new UnsupportedOperationException();
                }

                public LogitsSource logits() {
                    return src;
                }

                public Tokenizer tokenizer() {
                    return tok;
                }
            };
            EvalRun run = new BenchmarkRunner(mut, null, null, null).run(task, new BenchmarkRunner.Options(0, 0, 0, 1, 1, List.of()), "stories", null, null);
            assertEquals(1.0, run.metrics().get("acc"));
            assertEquals(1.0, run.metrics().get("acc_norm"));
            // The log-likelihood is the sum of the continuation tokens' log-probabilities from one forward pass.
            int[] ctx = tok.encode("Once upon a time, there was a little", false);
            int[] whole = tok.encode("Once upon a time, there was a little girl", false);
            float[][] logits = model.logits(java.util.Arrays.copyOf(whole, whole.length - 1));
            double expected = 0;
            for (int t = ctx.length; t < whole.length; t++) expected -= dev.jllm.eval.perplexity.Perplexity.crossEntropy(logits[t - 1], whole[t]);
            assertEquals(expected, MultipleChoice.logLikelihood(src, tok, "Once upon a time, there was a little", " girl"), 1e-9);
        }
    }
}
