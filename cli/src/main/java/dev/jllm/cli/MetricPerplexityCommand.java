package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.eval.perplexity.Perplexity;
import dev.jllm.eval.perplexity.PerplexityResult;
import dev.jllm.eval.perplexity.TextPerplexity;
import dev.jllm.model.Model;
import dev.jllm.text.tokenizer.Tokenizer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code jllm metric perplexity}: Hugging Face's perplexity metric with a jllm model. */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity of a model on texts as Hugging Face's perplexity metric computes it (per text, and their mean); "
                + "with --stride, long texts use transformers' sliding-window recipe.")
final class MetricPerplexityCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model: a Hugging Face folder or a .gguf file.")
    Path model;

    @Option(names = "--predictions", required = true, paramLabel = "FILE",
            description = "Texts, one per line; in a .jsonl file one JSON string per line.")
    Path texts;

    @Option(names = "--add-start-token", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Prefix each text with the BOS token (the metric's add_start_token).")
    boolean addStartToken;

    @Option(names = "--max-length", description = "Truncate texts to this many tokens (0 = the model's context); with --stride, the window size.")
    int maxLength;

    @Option(names = "--stride", description = "Sliding-window stride in tokens (0 = no window: one pass per text).")
    int stride;

    @Option(names = "--per-segment", description = "Also print each text's token count and perplexity.")
    boolean perSegment;

    @Override
    public void run() {
        if (!Files.isRegularFile(texts)) throw new JllmException(texts + ": no such file");
        List<String> lines = MetricCommand.readTexts(texts);
        if (lines.isEmpty()) throw new JllmException(texts + ": no text to score");
        try (Model m = Model.load(model)) {
            Tokenizer tok = Tokenizer.load(model);
            PerplexityResult r = Perplexity.evaluate(Perplexity.of(m), tok, lines, new Perplexity.Options(addStartToken, maxLength, stride), null);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", "perplexity");
            out.put("mean_perplexity", r.meanPerplexity());
            List<Double> ppl = new ArrayList<>();
            for (TextPerplexity t : r.texts()) ppl.add(t.perplexity());
            out.put("perplexities", ppl);
            if (perSegment) {
                List<Map<String, Object>> segs = new ArrayList<>();
                for (TextPerplexity t : r.texts()) segs.add(Map.of("tokens", t.tokens(), "mean_nll", t.meanNll(), "perplexity", t.perplexity()));
                out.put("segments", segs);
            }
            MetricCommand.print(spec, out);
        }
    }
}
