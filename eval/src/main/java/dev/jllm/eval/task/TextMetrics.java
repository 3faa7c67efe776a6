package dev.jllm.eval.task;

import dev.jllm.core.JllmException;
import dev.jllm.eval.bench.ExactMatch;
import dev.jllm.eval.bench.Gsm8k;
import dev.jllm.eval.bleu.Bleu;
import dev.jllm.eval.bleu.BleuOptions;
import dev.jllm.eval.embed.BertScore;
import dev.jllm.eval.embed.SentenceEncoder;
import dev.jllm.eval.meteor.Meteor;
import dev.jllm.eval.meteor.WordNet;
import dev.jllm.eval.perplexity.Perplexity;
import dev.jllm.eval.perplexity.PerplexityResult;
import dev.jllm.eval.rouge.RougeScore;
import dev.jllm.eval.rouge.RougeScorer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The metrics of generation tasks, each filling per-example scores and corpus values:
 * {@code exact_match}, {@code gsm8k} (accuracy), {@code bleu} (sacrebleu corpus BLEU; sentence BLEU per example),
 * {@code rouge} (rouge1/rouge2/rougeL F-measure with stemming, best reference), {@code meteor},
 * {@code bertscore} (needs an encoder; P/R/F1), {@code similarity} (cosine of the encoder's sentence embeddings,
 * best reference) and {@code perplexity} (the evaluated model's perplexity on
 * prompt + first reference, as the Hugging Face metric with a start token; mean of per-example values).
 */
public final class TextMetrics {
    public static final List<String> NAMES = List.of("exact_match", "gsm8k", "bleu", "rouge", "meteor", "bertscore", "similarity", "perplexity");

    private TextMetrics() {
    }

    public static void validate(List<String> metrics, TaskKind kind) {
        for (String m : metrics) {
            boolean ok = switch (kind) {
                case GENERATE -> NAMES.contains(m);
                case MULTIPLE_CHOICE -> m.equals("acc") || m.equals("acc_norm");
                case CODE -> m.matches("pass@[1-9][0-9]*");
            };
            if (!ok) {
                throw new JllmException("metric '" + m + "' does not apply to a " + kind.name().toLowerCase().replace('_', ' ')
                        + " task; choose from " + switch (kind) {
                    case GENERATE -> NAMES.toString();
                    case MULTIPLE_CHOICE -> "[acc, acc_norm]";
                    case CODE -> "[pass@k]";
                });
            }
        }
    }

    /**
     * Scores predictions; {@code perExample.get(i)} receives example i's scores; returns the corpus values.
     *
     * @param encoder the BERTScore model, or null when bertscore is not asked for
     */
    public static Map<String, Double> score(List<String> metrics, List<String> prompts, List<String> predictions,
                                            List<List<String>> references, List<Map<String, Double>> perExample,
                                            ModelUnderTest model, SentenceEncoder encoder) {
        Map<String, Double> corpus = new LinkedHashMap<>();
        int n = predictions.size();
        for (String metric : metrics) {
            switch (metric) {
                case "exact_match" -> corpus.put(metric, mean(n, i -> ExactMatch.score(predictions.get(i), references.get(i)), metric, perExample));
                case "gsm8k" -> corpus.put(metric, mean(n, i -> Gsm8k.score(predictions.get(i), references.get(i).getFirst()), metric, perExample));
                case "bleu" -> {
                    Bleu corpusBleu = new Bleu(BleuOptions.corpusDefaults());
                    int streams = references.stream().mapToInt(List::size).max().orElse(1);
                    List<List<String>> refStreams = new ArrayList<>();
                    for (int s = 0; s < streams; s++) {
                        List<String> stream = new ArrayList<>();
                        for (List<String> r : references) stream.add(s < r.size() ? r.get(s) : null);
                        refStreams.add(stream);
                    }
                    corpus.put("bleu", corpusBleu.corpusScore(predictions, refStreams).score().score());
                    Bleu sentence = new Bleu(BleuOptions.sentenceDefaults());
                    for (int i = 0; i < n; i++) perExample.get(i).put("bleu", sentence.sentenceScore(predictions.get(i), references.get(i)).score().score());
                }
                case "rouge" -> {
                    List<String> types = List.of("rouge1", "rouge2", "rougeL");
                    RougeScorer scorer = new RougeScorer(types, true);
                    double[] sums = new double[types.size()];
                    for (int i = 0; i < n; i++) {
                        Map<String, RougeScore> s = scorer.scoreMulti(references.get(i), predictions.get(i));
                        for (int t = 0; t < types.size(); t++) {
                            double f = s.get(types.get(t)).fmeasure();
                            perExample.get(i).put(types.get(t), f);
                            sums[t] += f;
                        }
                    }
                    for (int t = 0; t < types.size(); t++) corpus.put(types.get(t), n == 0 ? Double.NaN : sums[t] / n);
                }
                case "meteor" -> {
                    Meteor meteor = new Meteor(WordNet.wordNet30());
                    corpus.put(metric, mean(n, i -> meteor.score(references.get(i).stream().map(Meteor::tokenize).toList(),
                            Meteor.tokenize(predictions.get(i))), metric, perExample));
                }
                case "bertscore" -> {
                    if (encoder == null) throw new JllmException("metric bertscore needs an encoder model (--encoder)");
                    BertScore.Result r = BertScore.corpus(encoder, predictions, references, BertScore.Options.defaults());
                    for (int i = 0; i < n; i++) {
                        perExample.get(i).put("bertscore_p", r.scores().get(i).precision());
                        perExample.get(i).put("bertscore_r", r.scores().get(i).recall());
                        perExample.get(i).put("bertscore_f1", r.scores().get(i).f1());
                    }
                    corpus.put("bertscore_p", r.mean().precision());
                    corpus.put("bertscore_r", r.mean().recall());
                    corpus.put("bertscore_f1", r.mean().f1());
                }
                case "similarity" -> {
                    if (encoder == null) throw new JllmException("metric similarity needs an encoder model (--encoder)");
                    corpus.put(metric, mean(n, i -> {
                        float[] p = encoder.embed(predictions.get(i));
                        double best = Double.NEGATIVE_INFINITY;
                        for (String r : references.get(i)) best = Math.max(best, dev.jllm.eval.embed.Pooling.cosine(p, encoder.embed(r)));
                        return best;
                    }, metric, perExample));
                }
                case "perplexity" -> {
                    List<String> texts = new ArrayList<>();
                    for (int i = 0; i < n; i++) texts.add(prompts.get(i) + references.get(i).getFirst());
                    PerplexityResult r = Perplexity.evaluate(model.logits(), model.tokenizer(), texts,
                            new Perplexity.Options(model.tokenizer().bosTokenId().isPresent(), model.logits().contextLength(), 0), null);
                    for (int i = 0; i < n; i++) perExample.get(i).put("perplexity", r.texts().get(i).perplexity());
                    corpus.put("perplexity", r.meanPerplexity());
                }
                default -> throw new JllmException("unknown metric '" + metric + "'; choose from " + NAMES);
            }
        }
        return corpus;
    }

    private static double mean(int n, java.util.function.IntToDoubleFunction f, String name, List<Map<String, Double>> perExample) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double v = f.applyAsDouble(i);
            perExample.get(i).put(name, v);
            sum += v;
        }
        return n == 0 ? Double.NaN : sum / n;
    }
}
