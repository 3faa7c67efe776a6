package dev.jllm.eval.perplexity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.model.Model;
import dev.jllm.testkit.Conformance;
import dev.jllm.testkit.Fixtures;
import dev.jllm.text.tokenizer.Tokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static dev.jllm.eval.MetricFixtures.close;

/**
 * Every {@code perplexity[]} case of models/stories260K/reference.json, through the GGUF and the HF folder, from the
 * given token ids and from the text (tokenized with the model's tokenizer, BOS added as the metric does).
 */
@Tag("conformance")
class PerplexityConformanceTest {

    @Test
    void storiesReferencePerplexities() throws Exception {
        Path dir = Fixtures.resolve("models", "stories260K");
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        var area = new Conformance("perplexity");
        for (Path modelPath : new Path[]{dir.resolve("stories260K.gguf"), Fixtures.resolve("models", "stories260K-hf")}) {
            try (Model model = Model.load(modelPath)) {
                LogitsSource source = Perplexity.of(model);
                Tokenizer tokenizer = Tokenizer.load(modelPath);
                for (JsonNode c : ref.get("perplexity")) {
                    area.check(modelPath.getFileName() + "/" + c.get("id").asText(), () -> {
                        int[] ids = new ObjectMapper().convertValue(c.get("token_ids"), int[].class);
                        TextPerplexity p = Perplexity.ofIds(source, ids);
                        if (p.tokens() != c.get("n_predictions").asInt()) throw new AssertionError("predicted tokens " + p.tokens());
                        close("perplexity", c.get("perplexity").asDouble(), p.perplexity(), 1e-4);
                        close("sum_nll_nats", c.get("sum_nll_nats").asDouble(), p.sumNll(), 1e-4);
                        JsonNode per = c.get("per_token_nll_nats");
                        for (int t = 0; t < per.size(); t++) close("token " + t, per.get(t).asDouble(), p.tokenNll()[t], 1e-4);
                    });
                    // The Hugging Face metric's own path: tokenize the text, add the start token, score.
                    area.check(modelPath.getFileName() + "/" + c.get("id").asText() + "/from-text", () -> {
                        PerplexityResult r = Perplexity.evaluate(source, tokenizer, java.util.List.of(c.get("text").asText()),
                                Perplexity.Options.defaults(), null);
                        close("perplexity", c.get("perplexity").asDouble(), r.meanPerplexity(), 1e-4);
                    });
                }
            }
        }
        area.finish();
    }
}
