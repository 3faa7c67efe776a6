package dev.jllm.cli;

import dev.jllm.eval.embed.Pooling;
import dev.jllm.eval.embed.SentenceEncoder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code jllm metric similarity}: cosine similarity of sentence embeddings. */
@Command(name = "similarity", mixinStandardHelpOptions = true,
        description = "Embedding similarity: the cosine of each prediction's and reference's sentence embeddings "
                + "(sentence-transformers pooling), best reference per line, and the mean.")
final class MetricSimilarityCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    MetricCommand.Inputs inputs = new MetricCommand.Inputs();

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "Encoder: a BERT folder (config.json, safetensors, WordPiece tokenizer.json, optional modules.json) "
                    + "or a BERT .onnx file with its tokenizer.json beside it (mean pooling + normalization).")
    Path model;

    @Option(names = "--per-segment", description = "Also print each line's similarity.")
    boolean perSegment;

    @Override
    public void run() {
        List<String> preds = inputs.readPredictions();
        List<List<String>> refs = inputs.readReferencesPerLine(preds.size());
        try (SentenceEncoder enc = SentenceEncoder.load(model)) {
            List<Double> per = new ArrayList<>();
            double sum = 0;
            for (int i = 0; i < preds.size(); i++) {
                float[] p = enc.embed(preds.get(i));
                double best = Double.NEGATIVE_INFINITY;
                for (String r : refs.get(i)) best = Math.max(best, Pooling.cosine(p, enc.embed(r)));
                per.add(best);
                sum += best;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", "similarity");
            out.put("score", sum / preds.size());
            out.put("pooling", enc.pooling().mode().name().toLowerCase() + (enc.pooling().normalize() ? "+normalize" : ""));
            if (perSegment) out.put("segments", per);
            MetricCommand.print(spec, out);
        }
    }
}
