package dev.jllm.eval.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Answer extraction over the whole GSM8K test set (datasets/gsm8k/test.jsonl), whose answers end in "#### N". */
class Gsm8kDatasetTest {

    @Test
    void everyReferenceAndSolutionParses() throws Exception {
        ObjectMapper json = new ObjectMapper();
        List<String> failures = new ArrayList<>();
        int rows = 0;
        for (String line : Fixtures.jsonLines(Fixtures.resolve("datasets", "gsm8k", "test.jsonl"))) {
            rows++;
            String answer = json.readTree(line).get("answer").asText();
            String marked = answer.substring(answer.lastIndexOf("####") + 4).strip();
            BigDecimal expected = new BigDecimal(marked.replace(",", ""));
            BigDecimal reference = Gsm8k.referenceAnswer(answer);
            if (reference.compareTo(expected) != 0) failures.add(rows + ": reference " + reference + " != " + marked);
            // A model that writes the reference solution (calculator annotations included) is right...
            check(failures, rows, "solution", Gsm8k.extractAnswer(answer), expected);
            // ...and so is one that boxes the answer and keeps talking.
            check(failures, rows, "boxed", Gsm8k.extractAnswer("So \\boxed{" + marked + "}. Step 2 used 7 and 11."), expected);
            assertEquals(1.0, Gsm8k.score(answer, answer), "row " + rows);
        }
        assertTrue(rows > 1000, "GSM8K test set has 1319 rows, found " + rows);
        assertEquals(List.of(), failures);
    }

    private static void check(List<String> failures, int row, String what, Optional<BigDecimal> got, BigDecimal expected) {
        if (got.isEmpty() || got.get().compareTo(expected) != 0) failures.add(row + " " + what + ": got " + got + " expected " + expected);
    }
}
