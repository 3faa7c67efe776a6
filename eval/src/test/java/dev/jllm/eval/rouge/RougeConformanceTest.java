package dev.jllm.eval.rouge;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jllm.testkit.Conformance;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.jllm.eval.MetricFixtures.DEFAULT_TOLERANCE;
import static dev.jllm.eval.MetricFixtures.close;
import static dev.jllm.eval.MetricFixtures.equal;
import static dev.jllm.eval.MetricFixtures.rows;
import static dev.jllm.eval.MetricFixtures.strings;

/** Every row of metrics/rouge.jsonl (google-research rouge_score with NLTK 3.8's Porter stemmer). */
@Tag("conformance")
class RougeConformanceTest {

    @Test
    void rouge() {
        Conformance area = new Conformance("rouge");
        for (JsonNode row : rows("rouge.jsonl")) {
            area.check(row.get("id").asText(), () -> {
                JsonNode o = row.get("options");
                if (o.path("split_summaries").asBoolean(false)) {
                    throw new AssertionError("split_summaries=true (NLTK Punkt sentence splitting) is not supported");
                }
                RougeScorer scorer = new RougeScorer(strings(o.get("rouge_types")), o.get("use_stemmer").asBoolean());
                String target = row.get("target").asText();
                String prediction = row.get("prediction").asText();
                equal("target_tokens", strings(row.get("target_tokens")), scorer.tokenizer().tokenize(target));
                equal("prediction_tokens", strings(row.get("prediction_tokens")), scorer.tokenizer().tokenize(prediction));
                Map<String, RougeScore> scores = scorer.score(target, prediction);
                JsonNode expected = row.get("expected");
                expected.fieldNames().forEachRemaining(type -> {
                    RougeScore s = scores.get(type);
                    if (s == null) throw new AssertionError("no score for " + type);
                    JsonNode e = expected.get(type);
                    close(type + ".precision", e.get("precision").asDouble(), s.precision(), DEFAULT_TOLERANCE);
                    close(type + ".recall", e.get("recall").asDouble(), s.recall(), DEFAULT_TOLERANCE);
                    close(type + ".fmeasure", e.get("fmeasure").asDouble(), s.fmeasure(), DEFAULT_TOLERANCE);
                });
            });
        }
        area.finish();
    }
}
