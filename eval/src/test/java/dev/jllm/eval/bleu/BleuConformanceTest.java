package dev.jllm.eval.bleu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.testkit.Conformance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;

import static dev.jllm.eval.MetricFixtures.DEFAULT_TOLERANCE;
import static dev.jllm.eval.MetricFixtures.close;
import static dev.jllm.eval.MetricFixtures.equal;
import static dev.jllm.eval.MetricFixtures.rows;
import static dev.jllm.eval.MetricFixtures.strings;

/** Every row of metrics/bleu_sentence.jsonl, bleu_corpus.jsonl and bleu_sacrebleu_tests.jsonl (sacrebleu 2.6.0). */
@Tag("conformance")
class BleuConformanceTest {

    static BleuOptions options(JsonNode o, BleuOptions defaults) {
        BleuOptions opts = defaults;
        if (o.has("tokenize")) opts = opts.withTokenizer(BleuTokenizer.byName(o.get("tokenize").asText()));
        if (o.has("lowercase")) opts = opts.withLowercase(o.get("lowercase").asBoolean());
        if (o.has("effective_order")) opts = opts.withEffectiveOrder(o.get("effective_order").asBoolean());
        if (o.has("max_ngram_order")) opts = opts.withMaxNgramOrder(o.get("max_ngram_order").asInt());
        SmoothMethod method = o.has("smooth_method") ? SmoothMethod.byName(o.get("smooth_method").asText()) : opts.smoothMethod();
        Double value = o.hasNonNull("smooth_value") ? o.get("smooth_value").asDouble() : null;
        return opts.withSmoothing(method, value);
    }

    private static void checkFull(JsonNode row, Bleu.Result r) {
        JsonNode e = row.get("expected");
        BleuScore s = r.score();
        close("score", e.get("score").asDouble(), s.score(), DEFAULT_TOLERANCE);
        close("counts", e.get("counts"), s.counts(), 1e-9);
        close("totals", e.get("totals"), s.totals(), 1e-9);
        close("precisions", e.get("precisions"), s.precisions(), DEFAULT_TOLERANCE);
        close("bp", e.get("bp").asDouble(), s.bp(), DEFAULT_TOLERANCE);
        equal("sys_len", e.get("sys_len").asLong(), s.sysLen());
        equal("ref_len", e.get("ref_len").asLong(), s.refLen());
        equal("signature", row.get("signature").asText(), r.signature());
    }

    @Test
    void sentenceBleu() {
        Conformance area = new Conformance("bleu-sentence");
        for (JsonNode row : rows("bleu_sentence.jsonl")) {
            area.check(row.get("id").asText(), () -> {
                Bleu bleu = new Bleu(options(row.get("options"), BleuOptions.sentenceDefaults()));
                checkFull(row, bleu.sentenceScore(row.get("hypothesis").asText(), strings(row.get("references"))));
            });
        }
        area.finish();
    }

    @Test
    void corpusBleu() {
        Conformance area = new Conformance("bleu-corpus");
        for (JsonNode row : rows("bleu_corpus.jsonl")) {
            area.check(row.get("id").asText(), () -> {
                Bleu bleu = new Bleu(options(row.get("options"), BleuOptions.corpusDefaults()));
                List<List<String>> streams = new ArrayList<>();
                for (JsonNode s : row.get("references")) streams.add(strings(s));
                checkFull(row, bleu.corpusScore(strings(row.get("hypotheses")), streams));
            });
        }
        area.finish();
    }

    @Test
    void sacrebleuTestTables() {
        Conformance area = new Conformance("bleu-sacrebleu-tests");
        for (JsonNode row : rows("bleu_sacrebleu_tests.jsonl")) {
            area.check(row.get("id").asText(), () -> {
                String api = row.get("api").asText();
                JsonNode o = row.get("options");
                BleuScore s;
                switch (api) {
                    case "corpus" -> {
                        List<List<String>> streams = new ArrayList<>();
                        for (JsonNode st : row.get("references")) streams.add(strings(st));
                        s = new Bleu(options(o, BleuOptions.corpusDefaults()))
                                .corpusScore(strings(row.get("hypotheses")), streams).score();
                    }
                    case "sentence" -> s = new Bleu(options(o, BleuOptions.sentenceDefaults()))
                            .sentenceScore(row.get("hypothesis").asText(), strings(row.get("references"))).score();
                    case "compute_bleu" -> {
                        JsonNode st = row.get("statistics");
                        int order = o.has("max_ngram_order") ? o.get("max_ngram_order").asInt() : 4;
                        BleuOptions opts = options(o, BleuOptions.corpusDefaults().withSmoothing(SmoothMethod.NONE, null));
                        s = Bleu.computeBleu(doubles(st.get("correct")), doubles(st.get("total")),
                                st.get("sys_len").asLong(), st.get("ref_len").asLong(), opts.smoothMethod(),
                                opts.smoothValue(), opts.effectiveOrder(), order);
                    }
                    default -> throw new AssertionError("unknown api " + api);
                }
                double tol = row.has("tolerance") ? row.get("tolerance").asDouble() : DEFAULT_TOLERANCE;
                if (row.has("expected_score")) close("expected_score", row.get("expected_score").asDouble(), s.score(), tol);
                if (row.has("expected_score_2dp")) {
                    String twoDp = BigDecimal.valueOf(s.score()).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
                    equal("expected_score_2dp", row.get("expected_score_2dp").asText(), twoDp);
                }
                if (row.has("oracle_score")) close("oracle_score", row.get("oracle_score").asDouble(), s.score(), Math.min(tol, DEFAULT_TOLERANCE));
                if (row.has("expected_counts")) close("expected_counts", row.get("expected_counts"), s.counts(), 0);
                if (row.has("expected_totals")) close("expected_totals", row.get("expected_totals"), s.totals(), 0);
                if (row.has("oracle_counts")) close("oracle_counts", row.get("oracle_counts"), s.counts(), 0);
                if (row.has("oracle_totals")) close("oracle_totals", row.get("oracle_totals"), s.totals(), 0);
            });
        }
        area.finish();
    }

    private static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).asDouble();
        return out;
    }
}
