package dev.jllm.eval.bench;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class BenchScorersTest {

    private static BigDecimal n(String s) {
        return new BigDecimal(s);
    }

    private static void extracts(String expected, String output) {
        Optional<BigDecimal> got = Gsm8k.extractAnswer(output);
        assertEquals(0, n(expected).compareTo(got.orElseThrow(() -> new AssertionError("no number in: " + output))),
                "output: " + output + " -> " + got.get());
    }

    @Test
    void gsm8kReference() {
        assertEquals(0, n("72").compareTo(Gsm8k.referenceAnswer("Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72")));
        assertEquals(0, n("1234").compareTo(Gsm8k.referenceAnswer("...\n#### 1,234")));
        assertEquals(0, n("-3").compareTo(Gsm8k.referenceAnswer("#### -3")));
        assertEquals(0, n("1000").compareTo(Gsm8k.referenceAnswer(" 1,000\n")));
        assertEquals(0, n("-2.5").compareTo(Gsm8k.referenceAnswer("-2.5")));
        assertThrows(JllmException.class, () -> Gsm8k.referenceAnswer("no marker 5"));
        assertThrows(JllmException.class, () -> Gsm8k.referenceAnswer("#### none"));
    }

    @Test
    void gsm8kTrickyOutputs() {
        extracts("1234567", "So the total is 1,234,567.");                 // thousands commas, final period
        extracts("-5", "The temperature drops to -5 degrees.");            // negative
        extracts("-5", "The change is \u22125.");                          // Unicode minus
        extracts("18", "She earns $18 per day.");                          // currency
        extracts("18", "Janet makes 9 * 2 = $18.00 every day.");           // decimals equal to an integer
        extracts("5", "It weighs 5kg.");                                   // unit glued to the number
        extracts("12", "Read pages 10-12.");                               // a hyphen, not a sign
        extracts("3", "First 1, then 2, and finally 3");                   // several numbers: the last
        extracts("42", "Step 1: 40 + 2 = 42\n#### 42\nI hope this helps 100%"); // #### beats later numbers
        extracts("8", "We get 3 + 5 = \\boxed{8}. Check: 8 - 3 = 5.");    // \boxed beats later numbers
        extracts("1000", "\\boxed{\\$1,000} in total");
        extracts("7", "\\boxed{{7}}");                                       // nested braces
        extracts("0.75", "The probability is .75");
        assertEquals(Optional.empty(), Gsm8k.extractAnswer("I don't know."));
    }

    @Test
    void gsm8kScore() {
        assertEquals(1.0, Gsm8k.score("The answer is 72.", "blah\n#### 72"));
        assertEquals(0.0, Gsm8k.score("The answer is 73.", "blah\n#### 72"));
        assertEquals(0.0, Gsm8k.score("No idea", "#### 72"));
        assertEquals(1.0, Gsm8k.score("#### 1,000", "#### 1000"));
    }

    @Test
    void exactMatchNormalization() {
        assertEquals("cat sat", ExactMatch.normalize("The  Cat, sat!"));
        assertEquals(1.0, ExactMatch.score("the Eiffel Tower.", "Eiffel tower"));
        assertEquals(0.0, ExactMatch.score("Paris, France", "Paris"));
        assertEquals(1.0, ExactMatch.score("Paris", List.of("London", "paris")));
        assertEquals("theory", ExactMatch.normalize("theory")); // articles only as whole words
    }

    @Test
    void passAtK() {
        assertEquals(1.0, PassAtK.estimate(10, 10, 1));
        assertEquals(0.0, PassAtK.estimate(10, 0, 5));
        assertEquals(0.3, PassAtK.estimate(10, 3, 1), 1e-15);                      // c/n for k = 1
        assertEquals(1.0 - 21.0 / 45.0, PassAtK.estimate(10, 3, 2), 1e-15);       // 1 - C(7,2)/C(10,2)
        assertEquals(1.0, PassAtK.estimate(10, 8, 5));                             // n - c < k
        assertEquals((0.3 + 1.0) / 2, PassAtK.mean(new int[] {10, 5}, new int[] {3, 5}, 1), 1e-15);
        assertThrows(JllmException.class, () -> PassAtK.estimate(5, 6, 1));
        assertThrows(JllmException.class, () -> PassAtK.estimate(5, 1, 6));
    }
}
