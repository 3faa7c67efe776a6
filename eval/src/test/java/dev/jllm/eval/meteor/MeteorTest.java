package dev.jllm.eval.meteor;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MeteorTest {
    private final Meteor meteor = new Meteor(WordNet.wordNet30());

    @Test
    void exactMatchPenalizedOnlyByOneChunk() {
        List<String> s = List.of("a", "b", "c");
        // P = R = 1, one chunk of 3 matches: 1 - 0.5 * (1/3)^3.
        assertEquals(1 - 0.5 / 27, meteor.singleScore(s, s), 1e-15);
    }

    @Test
    void noMatchOrEmptyIsZero() {
        assertEquals(0.0, meteor.singleScore(List.of("this", "is", "a", "cat"), List.of("non", "matching", "hypothesis")));
        assertEquals(0.0, meteor.singleScore(List.of(), List.of("x")));
        assertEquals(0.0, meteor.singleScore(List.of("x"), List.of()));
    }

    @Test
    void stemAndSynonymStages() {
        // "cats" ~ "cat" by stem, "dog" ~ "hound" by WordNet synonym: P = R = 1, one chunk of two.
        double s = meteor.singleScore(List.of("hound", "cat"), List.of("dog", "cats"));
        assertEquals(1 - 0.5 * Math.pow(1.0 / 2, 3), s, 1e-15);
        // The synonym stage looks up the stems the stem stage left: "large" became "larg", which WordNet lacks,
        // so NLTK (and we) miss big ~ large: one match of two, fmean 0.5, penalty 0.5.
        assertEquals(0.25, meteor.singleScore(List.of("big", "cat"), List.of("large", "cats")), 1e-15);
    }

    @Test
    void tokenizerLikePythonWordRegex() {
        assertEquals(List.of("It", "'", "s", "4", ",", "096", "café", "_x", "."), Meteor.tokenize("It's 4,096 café _x."));
    }
}
