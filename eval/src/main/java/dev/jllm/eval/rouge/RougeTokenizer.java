package dev.jllm.eval.rouge;

import dev.jllm.eval.text.PorterStemmer;
import dev.jllm.eval.text.PyStrings;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * rouge_score's default tokenizer: lowercase, every run of characters other than {@code a-z0-9} becomes a space,
 * split on whitespace, optionally Porter-stem (NLTK's stemmer, only tokens longer than 3 characters), and drop
 * anything that is not a non-empty {@code [a-z0-9]+} token.
 */
public final class RougeTokenizer {
    private static final Pattern NON_ALPHANUMERIC = Pattern.compile("[^a-z0-9]+");
    private static final Pattern VALID_TOKEN = Pattern.compile("[a-z0-9]+");

    private final PorterStemmer stemmer;

    public RougeTokenizer(boolean useStemmer) {
        this.stemmer = useStemmer ? new PorterStemmer() : null;
    }

    public boolean usesStemmer() {
        return stemmer != null;
    }

    public List<String> tokenize(String text) {
        String cleaned = NON_ALPHANUMERIC.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
        List<String> tokens = new ArrayList<>();
        // After the substitution only ASCII spaces separate tokens; Python's re.split(r"\s+") gives empty strings at
        // the ends, which the final validity check drops, so a plain whitespace split is equivalent.
        for (String token : PyStrings.split(cleaned)) {
            if (stemmer != null && token.length() > 3) token = stemmer.stem(token);
            if (VALID_TOKEN.matcher(token).matches()) tokens.add(token);
        }
        return tokens;
    }
}
