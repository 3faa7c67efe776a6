package dev.jllm.cli;

import dev.jllm.core.JllmException;
import dev.jllm.eval.embed.BertScore;
import dev.jllm.eval.embed.SentenceEncoder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code jllm metric bertscore}: BERTScore with a BERT-family encoder. */
@Command(name = "bertscore", mixinStandardHelpOptions = true,
        description = "BERTScore (bert_score's greedy cosine matching of one layer's token vectors): mean precision, recall and F1; "
                + "several references take the best of each.")
final class MetricBertScoreCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    MetricCommand.Inputs inputs = new MetricCommand.Inputs();

    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "Encoder: a BERT folder (config.json, safetensors, WordPiece tokenizer.json) or a BERT .onnx file with its tokenizer.json beside it.")
    Path model;

    @Option(names = "--layer", description = "Hidden state to use: 0 = embeddings output, N = layer N (default: the last).")
    Integer layer;

    @Option(names = "--idf", description = "Weight tokens by inverse document frequency over the references.")
    boolean idf;

    @Option(names = "--baseline", split = ",", paramLabel = "P,R,F",
            description = "Rescale with these baseline values ((x - b) / (1 - b)), e.g. from bert_score's baseline files for the model and layer.")
    List<Double> baseline;

    @Option(names = "--per-segment", description = "Also print each line's P, R and F1.")
    boolean perSegment;

    @Override
    public void run() {
        List<String> preds = inputs.readPredictions();
        List<List<String>> refs = inputs.readReferencesPerLine(preds.size());
        BertScore.Score base = null;
        if (baseline != null) {
            if (baseline.size() != 3) throw new JllmException("--baseline needs three values P,R,F; got " + baseline.size());
            base = new BertScore.Score(baseline.get(0), baseline.get(1), baseline.get(2));
        }
        try (SentenceEncoder enc = SentenceEncoder.load(model)) {
            BertScore.Result r = BertScore.corpus(enc, preds, refs, new BertScore.Options(layer, idf, base));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", "bertscore");
            out.put("precision", r.mean().precision());
            out.put("recall", r.mean().recall());
            out.put("f1", r.mean().f1());
            out.put("layer", r.layer());
            out.put("idf", r.idf());
            out.put("rescaled", r.rescaled());
            if (perSegment) {
                List<Map<String, Double>> segs = new ArrayList<>();
                for (BertScore.Score s : r.scores()) segs.add(Map.of("precision", s.precision(), "recall", s.recall(), "f1", s.f1()));
                out.put("segments", segs);
            }
            MetricCommand.print(spec, out);
        }
    }
}
