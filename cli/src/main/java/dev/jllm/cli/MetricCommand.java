package dev.jllm.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.jllm.core.JllmException;
import dev.jllm.eval.bench.ExactMatch;
import dev.jllm.eval.bench.Gsm8k;
import dev.jllm.eval.bleu.Bleu;
import dev.jllm.eval.bleu.BleuOptions;
import dev.jllm.eval.bleu.BleuScore;
import dev.jllm.eval.bleu.BleuTokenizer;
import dev.jllm.eval.bleu.SmoothMethod;
import dev.jllm.eval.meteor.Meteor;
import dev.jllm.eval.meteor.WordNet;
import dev.jllm.eval.rouge.BootstrapAggregator;
import dev.jllm.eval.rouge.RougeScore;
import dev.jllm.eval.rouge.RougeScorer;
import dev.jllm.eval.text.PyStrings;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code jllm metric bleu|rouge|meteor}: scores a predictions file against one or more reference files without a
 * model, with the reference libraries' exact numbers, and prints the result as JSON.
 */
@Command(name = "metric",
        description = "Score predictions against references with BLEU (sacrebleu), ROUGE (rouge_score) or METEOR (NLTK).",
        mixinStandardHelpOptions = true,
        subcommands = {MetricCommand.BleuCommand.class, MetricCommand.RougeCommand.class, MetricCommand.MeteorCommand.class,
                MetricCommand.ExactMatchCommand.class, MetricCommand.Gsm8kCommand.class,
                MetricBertScoreCommand.class, MetricSimilarityCommand.class, MetricPerplexityCommand.class})
public final class MetricCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The options every metric takes: the texts to score. */
    static class Inputs {
        @Option(names = "--predictions", required = true, paramLabel = "FILE",
                description = "Predictions (hypotheses), one text per line; in a .jsonl file one JSON string per line.")
        Path predictions;

        @Option(names = "--references", required = true, paramLabel = "FILE",
                description = "References, line-aligned with the predictions; repeat for several references per line"
                        + " (an empty line means that line has fewer references).")
        List<Path> references;

        List<String> readPredictions() {
            List<String> texts = readTexts(predictions);
            if (texts.isEmpty()) throw new JllmException(predictions + ": no prediction to score (the file is empty)");
            return texts;
        }

        /** One list per reference file, each as long as the predictions. */
        List<List<String>> readReferenceStreams(int expectedLines) {
            List<List<String>> streams = new ArrayList<>();
            for (Path p : references) {
                List<String> lines = readTexts(p);
                if (lines.size() != expectedLines) {
                    throw new JllmException(p + ": has " + lines.size() + " lines but " + predictions + " has "
                            + expectedLines + " (references must be line-aligned with the predictions)");
                }
                streams.add(lines);
            }
            return streams;
        }

        /** For each prediction, its non-empty references. */
        List<List<String>> readReferencesPerLine(int expectedLines) {
            List<List<String>> streams = readReferenceStreams(expectedLines);
            List<List<String>> perLine = new ArrayList<>();
            for (int i = 0; i < expectedLines; i++) {
                List<String> refs = new ArrayList<>();
                for (List<String> s : streams) if (!s.get(i).isEmpty()) refs.add(s.get(i));
                if (refs.isEmpty()) throw new JllmException("line " + (i + 1) + " has no non-empty reference in " + references);
                perLine.add(refs);
            }
            return perLine;
        }
    }

    /** Reads a text file (one text per line) or a .jsonl file (one JSON string per line, so texts may hold newlines). */
    static List<String> readTexts(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new JllmException(file + ": not valid UTF-8");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!file.getFileName().toString().endsWith(".jsonl")) return lines;
        List<String> texts = new ArrayList<>(lines.size());
        for (int i = 0; i < lines.size(); i++) {
            try {
                var node = JSON.readTree(lines.get(i));
                if (node == null || !node.isTextual()) throw new JllmException(file + " line " + (i + 1) + ": expected a JSON string");
                texts.add(node.asText());
            } catch (JsonProcessingException e) {
                throw new JllmException(file + " line " + (i + 1) + ": expected a JSON string (" + e.getOriginalMessage() + ")");
            }
        }
        return texts;
    }

    static void print(CommandLine.Model.CommandSpec spec, Map<String, Object> result) {
        try {
            spec.commandLine().getOut().println(JSON.writeValueAsString(result));
            spec.commandLine().getOut().flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Integral values print as integers (as sacrebleu's counts do); add-k's fractional ones keep their fraction. */
    static List<Number> numbers(double[] values) {
        List<Number> out = new ArrayList<>(values.length);
        for (double v : values) out.add(v == Math.rint(v) && Math.abs(v) < 1e15 ? (Number) (long) v : (Number) v);
        return out;
    }

    @Command(name = "bleu", mixinStandardHelpOptions = true,
            description = "Corpus BLEU exactly as sacrebleu 2.6.0, with its signature.")
    static final class BleuCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Inputs inputs = new Inputs();

        @Option(names = "--tokenize", defaultValue = "13a", paramLabel = "NAME",
                description = "Tokenizer: 13a, intl, char or none.")
        String tokenize;

        @Option(names = "--lowercase", description = "Lowercase hypotheses and references first.")
        boolean lowercase;

        @Option(names = "--smooth-method", defaultValue = "exp", paramLabel = "NAME",
                description = "Smoothing: exp, floor, add-k or none.")
        String smoothMethod;

        @Option(names = "--smooth-value", paramLabel = "X",
                description = "Value for floor (default 0.1) and add-k (default 1).")
        Double smoothValue;

        @Option(names = "--max-ngram-order", defaultValue = "4", paramLabel = "N", description = "Highest n-gram order.")
        int maxNgramOrder;

        @Option(names = "--effective-order", description = "Ignore n-gram orders with no hypothesis n-grams"
                + " (sacrebleu's default for sentence BLEU).")
        boolean effectiveOrder;

        @Option(names = "--sentence-level", description = "Also print each line's sentence BLEU with the same options.")
        boolean sentenceLevel;

        @Override
        public void run() {
            BleuOptions options = new BleuOptions(BleuTokenizer.byName(tokenize), lowercase, SmoothMethod.byName(smoothMethod),
                    smoothValue, maxNgramOrder, effectiveOrder);
            List<String> hyps = inputs.readPredictions();
            List<List<String>> streams = inputs.readReferenceStreams(hyps.size());
            Bleu bleu = new Bleu(options);
            Bleu.Result r = bleu.corpusScore(hyps, streams);
            Map<String, Object> out = describe(r);
            if (sentenceLevel) {
                List<Map<String, Object>> sentences = new ArrayList<>();
                for (int i = 0; i < hyps.size(); i++) {
                    List<String> refs = new ArrayList<>();
                    for (List<String> s : streams) refs.add(s.get(i));
                    sentences.add(describe(bleu.sentenceScore(hyps.get(i), refs)));
                }
                out.put("sentences", sentences);
            }
            print(spec, out);
        }

        private static Map<String, Object> describe(Bleu.Result r) {
            BleuScore s = r.score();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", "BLEU");
            m.put("score", s.score());
            m.put("counts", numbers(s.counts()));
            m.put("totals", numbers(s.totals()));
            m.put("precisions", Arrays.stream(s.precisions()).boxed().toList());
            m.put("bp", s.bp());
            m.put("sys_len", s.sysLen());
            m.put("ref_len", s.refLen());
            m.put("signature", r.signature());
            return m;
        }
    }

    @Command(name = "rouge", mixinStandardHelpOptions = true,
            description = "ROUGE exactly as google-research rouge_score: per-type mean and bootstrap confidence interval.")
    static final class RougeCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Inputs inputs = new Inputs();

        @Option(names = "--rouge-types", defaultValue = "rouge1,rouge2,rougeL,rougeLsum", split = ",", paramLabel = "TYPE",
                description = "Comma-separated: rouge1..rouge9, rougeL, rougeLsum (sentences split on newlines; use"
                        + " .jsonl files for texts with newlines).")
        List<String> rougeTypes;

        @Option(names = "--use-stemmer", description = "Porter-stem tokens longer than 3 characters (NLTK's stemmer).")
        boolean useStemmer;

        @Option(names = "--bootstrap-samples", defaultValue = "1000", paramLabel = "N",
                description = "Bootstrap resamples for the confidence interval; 0 prints only the means.")
        int bootstrapSamples;

        @Option(names = "--confidence", defaultValue = "0.95", paramLabel = "X", description = "Confidence level of the interval.")
        double confidence;

        @Option(names = "--seed", defaultValue = "0", paramLabel = "N",
                description = "Seed of the resampling; equals rouge_score run after np.random.seed(N).")
        long seed;

        @Override
        public void run() {
            if (bootstrapSamples < 0) throw new JllmException("--bootstrap-samples must be >= 0, got " + bootstrapSamples);
            RougeScorer scorer = new RougeScorer(rougeTypes, useStemmer);
            List<String> preds = inputs.readPredictions();
            List<List<String>> refs = inputs.readReferencesPerLine(preds.size());
            BootstrapAggregator aggregator = bootstrapSamples > 0 ? new BootstrapAggregator(confidence, bootstrapSamples) : null;
            Map<String, double[]> sums = new LinkedHashMap<>();
            for (String t : scorer.rougeTypes()) sums.put(t, new double[3]);
            for (int i = 0; i < preds.size(); i++) {
                Map<String, RougeScore> s = scorer.scoreMulti(refs.get(i), preds.get(i));
                s.forEach((t, v) -> {
                    double[] acc = sums.get(t);
                    acc[0] += v.precision();
                    acc[1] += v.recall();
                    acc[2] += v.fmeasure();
                });
                if (aggregator != null) aggregator.addScores(s);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", "ROUGE");
            out.put("use_stemmer", useStemmer);
            out.put("count", preds.size());
            Map<String, Object> means = new LinkedHashMap<>();
            int n = preds.size();
            sums.forEach((t, acc) -> means.put(t, score(new RougeScore(acc[0] / n, acc[1] / n, acc[2] / n))));
            out.put("mean", means);
            if (aggregator != null && n > 0) {
                Map<String, Object> boot = new LinkedHashMap<>();
                aggregator.aggregate(seed).forEach((t, a) -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("low", score(a.low()));
                    m.put("mid", score(a.mid()));
                    m.put("high", score(a.high()));
                    boot.put(t, m);
                });
                Map<String, Object> settings = new LinkedHashMap<>();
                settings.put("samples", bootstrapSamples);
                settings.put("confidence", confidence);
                settings.put("seed", seed);
                out.put("bootstrap", settings);
                out.put("aggregate", boot);
            }
            print(spec, out);
        }

        private static Map<String, Object> score(RougeScore s) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("precision", s.precision());
            m.put("recall", s.recall());
            m.put("fmeasure", s.fmeasure());
            return m;
        }
    }

    @Command(name = "meteor", mixinStandardHelpOptions = true,
            description = "METEOR exactly as NLTK 3.8's meteor_score (WordNet 3.0 bundled), best over references.")
    static final class MeteorCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Inputs inputs = new Inputs();

        @Option(names = "--tokenize", defaultValue = "word", paramLabel = "NAME",
                description = "How texts become tokens: word (Python's re.findall(r\"\\w+|[^\\w\\s]\")) or whitespace.")
        String tokenize;

        @Option(names = "--alpha", defaultValue = "0.9", paramLabel = "X", description = "Precision/recall weight.")
        double alpha;

        @Option(names = "--beta", defaultValue = "3.0", paramLabel = "X", description = "Fragmentation penalty shape.")
        double beta;

        @Option(names = "--gamma", defaultValue = "0.5", paramLabel = "X", description = "Fragmentation penalty weight.")
        double gamma;

        @Option(names = "--wordnet", paramLabel = "DIR",
                description = "A WordNet dict folder to use instead of the bundled WordNet 3.0.")
        Path wordnetDir;

        @Option(names = "--per-segment", description = "Also print each line's score.")
        boolean perSegment;

        @Override
        public void run() {
            if (!tokenize.equals("word") && !tokenize.equals("whitespace")) {
                throw new JllmException("--tokenize must be word or whitespace, got '" + tokenize + "'");
            }
            WordNet wordNet = wordnetDir != null ? WordNet.load(wordnetDir) : WordNet.wordNet30();
            Meteor meteor = new Meteor(wordNet, alpha, beta, gamma);
            List<String> preds = inputs.readPredictions();
            List<List<String>> refs = inputs.readReferencesPerLine(preds.size());
            List<Double> scores = new ArrayList<>(preds.size());
            double sum = 0;
            for (int i = 0; i < preds.size(); i++) {
                List<List<String>> refTokens = new ArrayList<>();
                for (String r : refs.get(i)) refTokens.add(tokens(r));
                double s = meteor.score(refTokens, tokens(preds.get(i)));
                scores.add(s);
                sum += s;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", "METEOR");
            out.put("score", preds.isEmpty() ? 0.0 : sum / preds.size());
            out.put("count", preds.size());
            out.put("wordnet", wordNet.source());
            if (perSegment) out.put("segments", scores);
            print(spec, out);
        }

        private List<String> tokens(String text) {
            return tokenize.equals("word") ? Meteor.tokenize(text) : PyStrings.split(text);
        }
    }

    @Command(name = "exact-match", mixinStandardHelpOptions = true,
            description = "Exact match after SQuAD's answer normalization (lowercase, no punctuation or articles).")
    static final class ExactMatchCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        Inputs inputs = new Inputs();

        @Override
        public void run() {
            List<String> preds = inputs.readPredictions();
            List<List<String>> refs = inputs.readReferencesPerLine(preds.size());
            double sum = 0;
            for (int i = 0; i < preds.size(); i++) sum += ExactMatch.score(preds.get(i), refs.get(i));
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", "exact_match");
            out.put("score", sum / preds.size());
            out.put("matches", (long) sum);
            out.put("count", preds.size());
            print(spec, out);
        }
    }

    @Command(name = "gsm8k", mixinStandardHelpOptions = true,
            description = "GSM8K accuracy: the answer in each output (last \\boxed{}, else after ####, else the last"
                    + " number) against the number after #### in the reference (or a reference that is a bare number).")
    static final class Gsm8kCommand implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Option(names = "--predictions", required = true, paramLabel = "FILE",
                description = "Model outputs, one per line; in a .jsonl file one JSON string per line.")
        Path predictions;

        @Option(names = "--references", required = true, paramLabel = "FILE",
                description = "GSM8K answer fields (ending in '#### N') or bare numbers, line-aligned with the outputs;"
                        + " use .jsonl for multi-line answers.")
        Path references;

        @Option(names = "--per-segment", description = "Also print each line's extracted answer and verdict.")
        boolean perSegment;

        @Override
        public void run() {
            Inputs inputs = new Inputs();
            inputs.predictions = predictions;
            inputs.references = List.of(references);
            List<String> preds = inputs.readPredictions();
            List<String> refs = inputs.readReferenceStreams(preds.size()).get(0);
            int correct = 0;
            int unanswered = 0;
            List<Map<String, Object>> segments = new ArrayList<>();
            for (int i = 0; i < preds.size(); i++) {
                BigDecimal expected;
                try {
                    expected = Gsm8k.referenceAnswer(refs.get(i));
                } catch (JllmException e) {
                    throw new JllmException(references + " line " + (i + 1) + ": " + e.getMessage());
                }
                Optional<BigDecimal> got = Gsm8k.extractAnswer(preds.get(i));
                boolean ok = got.isPresent() && got.get().compareTo(expected) == 0;
                if (ok) correct++;
                if (got.isEmpty()) unanswered++;
                if (perSegment) {
                    Map<String, Object> seg = new LinkedHashMap<>();
                    seg.put("expected", expected.toPlainString());
                    seg.put("extracted", got.map(BigDecimal::toPlainString).orElse(null));
                    seg.put("correct", ok);
                    segments.add(seg);
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("name", "gsm8k");
            out.put("accuracy", (double) correct / preds.size());
            out.put("correct", correct);
            out.put("no_answer", unanswered);
            out.put("count", preds.size());
            if (perSegment) out.put("segments", segments);
            print(spec, out);
        }
    }
}
