package dev.jllm.text.tokenizer;

import java.util.regex.Pattern;

/** Match finders for Split pre-tokenizers: hand-written for the well-known patterns, java.util.regex otherwise. */
final class SplitMatchers {
    private SplitMatchers() {}

    static PreTokenizer.MatchFinder gpt2() {
        return forPattern(PreTokenizer.ByteLevel.GPT2_PATTERN, OnigurumaRegex.compile(PreTokenizer.ByteLevel.GPT2_PATTERN));
    }

    static PreTokenizer.MatchFinder forPattern(String source, Pattern compiled) {
        return new PreTokenizer.RegexFinder(compiled);
    }
}
