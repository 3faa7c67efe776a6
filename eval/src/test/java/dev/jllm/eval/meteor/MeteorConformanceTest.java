package dev.jllm.eval.meteor;

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

/** Every row of metrics/meteor.jsonl (NLTK 3.8 meteor_score with WordNet 3.0). */
@Tag("conformance")
class MeteorConformanceTest {

    @Test
    void meteor() {
        Conformance area = new Conformance("meteor");
        WordNet wordNet = WordNet.wordNet30();
        for (JsonNode row : rows("meteor.jsonl")) {
            area.check(row.get("id").asText(), () -> {
                JsonNode o = row.get("options");
                Meteor meteor = new Meteor(wordNet, o.get("alpha").asDouble(), o.get("beta").asDouble(), o.get("gamma").asDouble());
                List<String> hyp = strings(row.get("hypothesis_tokens"));
                List<List<String>> refs = new ArrayList<>();
                for (JsonNode r : row.get("references_tokens")) refs.add(strings(r));
                equal("tokenize(hypothesis)", hyp, Meteor.tokenize(row.get("hypothesis").asText()));
                JsonNode e = row.get("expected");
                JsonNode per = e.get("per_reference");
                for (int i = 0; i < refs.size(); i++) {
                    close("per_reference[" + i + "]", per.get(i).asDouble(), meteor.singleScore(refs.get(i), hyp), DEFAULT_TOLERANCE);
                }
                double score = meteor.score(refs, hyp);
                close("meteor", e.get("meteor").asDouble(), score, DEFAULT_TOLERANCE);
                if (row.has("documented_value_4dp")) {
                    String fourDp = BigDecimal.valueOf(score).setScale(4, RoundingMode.HALF_EVEN).toPlainString();
                    equal("documented_value_4dp", new BigDecimal(row.get("documented_value_4dp").asText()).setScale(4).toPlainString(), fourDp);
                }
            });
        }
        area.finish();
    }
}
