package dev.jllm.eval.text;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PorterStemmerTest {
    private final PorterStemmer stemmer = new PorterStemmer();

    private String stemAll(String words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words.split(" ")) sb.append(sb.isEmpty() ? "" : " ").append(stemmer.stem(w));
        return sb.toString();
    }

    @Test
    void nltkHowtoPlurals() {
        // NLTK's stem howto example (NLTK_EXTENSIONS mode).
        assertEquals("caress fli die mule deni die agre own humbl size meet state siez item sensat tradit refer colon plot",
                stemAll("caresses flies dies mules denied died agreed owned humbled sized meeting stating siezing"
                        + " itemization sensational traditional reference colonizer plotted"));
    }

    @Test
    void stemmingTwiceIsNotIdempotent() {
        assertEquals("agr", stemmer.stem("agre"));
    }

    @Test
    void nltkExtensions() {
        assertEquals("sky", stemmer.stem("skies"));      // irregular form
        assertEquals("die", stemmer.stem("dying"));
        assertEquals("news", stemmer.stem("news"));
        assertEquals("proceed", stemmer.stem("proceed"));
        assertEquals("tie", stemmer.stem("ties"));       // 4-letter -ies keeps -ie
        assertEquals("spi", stemmer.stem("spied"));      // longer -ied becomes -i
        assertEquals("happi", stemmer.stem("happy"));    // y -> i after a consonant
        assertEquals("enjoy", stemmer.stem("enjoy"));    // but not after a vowel
        assertEquals("geolog", stemmer.stem("geology")); // logi keeps its l for the measure
        assertEquals("o", stemmer.stem("oed"));          // NLTK bug #1581 regression
        assertEquals("at", stemmer.stem("at"));          // one or two letters are left alone
    }

    @Test
    void paperSteps() {
        assertEquals("feed", stemmer.stem("feed"));
        assertEquals("hop", stemmer.stem("hopping"));
        assertEquals("fall", stemmer.stem("falling"));
        assertEquals("file", stemmer.stem("filing"));
        assertEquals("relat", stemmer.stem("relational"));
        assertEquals("condit", stemmer.stem("conditional"));
        assertEquals("ration", stemmer.stem("rational"));
        assertEquals("gener", stemmer.stem("generously"));
        assertEquals("control", stemmer.stem("controlling"));
        assertEquals("roll", stemmer.stem("roll"));
    }

    @Test
    void lowercasesAndLooksUpIrregularFormsCaseSensitively() {
        assertEquals("on", stemmer.stem("On"));
        assertEquals("i", stemmer.stem("I"));
        assertEquals("github", stemmer.stem("Github"));
        assertEquals("ski", stemmer.stem("Skies")); // not the irregular entry: the rules give "ski"
        assertEquals("dy", stemmer.stem("Dying"));  // not the irregular entry: the rules give "dy"
    }

    @Test
    void codePointsAsPythonCountsThem() {
        // Characters outside the BMP are single letters (consonants) as in Python, not surrogate pairs.
        assertEquals("\uD83D\uDE00\uD83D\uDE00", stemmer.stem("\uD83D\uDE00\uD83D\uDE00"));
        assertEquals("caf\u00e9", stemmer.stem("caf\u00e9s"));
    }

    @Test
    void consonantDefinition() {
        int[] toy = "toy".codePoints().toArray();
        assertEquals(true, PorterStemmer.isConsonant(toy, 2));
        int[] syzygy = "syzygy".codePoints().toArray();
        assertEquals(true, PorterStemmer.isConsonant(syzygy, 0));
        assertEquals(false, PorterStemmer.isConsonant(syzygy, 1));
        assertEquals(true, PorterStemmer.isConsonant(syzygy, 2));
        assertEquals(false, PorterStemmer.isConsonant(syzygy, 3));
        assertEquals(0, PorterStemmer.measure("tree".codePoints().toArray()));
        assertEquals(1, PorterStemmer.measure("trouble".codePoints().toArray()));
        assertEquals(2, PorterStemmer.measure("private".codePoints().toArray()));
    }
}
