package dev.jllm.eval.meteor;

import dev.jllm.core.JllmException;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WordNetTest {
    private final WordNet wn = WordNet.wordNet30();

    @Test
    void morphyAsNltkDocuments() {
        assertEquals(List.of("dog"), wn.morphy("dogs", WordNet.Pos.NOUN));
        assertEquals(List.of("church"), wn.morphy("churches", WordNet.Pos.NOUN));
        assertEquals(List.of("aardwolf"), wn.morphy("aardwolves", WordNet.Pos.NOUN));
        assertEquals(List.of("abacus"), wn.morphy("abaci", WordNet.Pos.NOUN));      // from noun.exc
        assertEquals(List.of(), wn.morphy("hardrock", WordNet.Pos.ADV));
        assertEquals(List.of("book"), wn.morphy("book", WordNet.Pos.NOUN));
        assertEquals(List.of(), wn.morphy("book", WordNet.Pos.ADJ));
        assertEquals(List.of("us", "u"), wn.morphy("us", WordNet.Pos.NOUN));
        assertEquals(List.of(), wn.morphy("eseseseseseseseseseseseseseseses", WordNet.Pos.VERB));
    }

    @Test
    void synsetsAndLemmaNames() {
        List<WordNet.Synset> dog = wn.synsets("Dog");
        assertEquals(8, dog.size()); // 7 noun senses + 1 verb sense in WordNet 3.0
        assertEquals(List.of("dog", "domestic_dog", "Canis_familiaris"), wn.lemmaNames(dog.get(0)));
        // Adjective syntactic markers such as "(ip)" are not part of the name.
        assertTrue(wn.meteorSynonyms("galore").contains("galore"));
        assertTrue(wn.meteorSynonyms("big").contains("large"));
        assertTrue(!wn.meteorSynonyms("dog").contains("domestic_dog")); // METEOR drops multi-word lemmas
    }

    @Test
    void missingFolder() {
        assertThrows(JllmException.class, () -> WordNet.load(Path.of("/nonexistent/wordnet")));
    }
}
