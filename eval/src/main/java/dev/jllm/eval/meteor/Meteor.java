package dev.jllm.eval.meteor;

import dev.jllm.core.JllmException;
import dev.jllm.eval.text.PorterStemmer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * METEOR exactly as NLTK 3.8's {@code meteor_score} (Lavie and Agarwal, 2007): words are lowercased, aligned in
 * three stages (exact, then Porter stem, then WordNet synonym), and the harmonic mean weighted by {@code alpha} is
 * reduced by the fragmentation penalty {@code gamma * (chunks / matches)^beta}. With several references the best
 * score counts.
 *
 * <p>As in NLTK, each stage works on what the previous one left, scanning hypothesis and reference words from the
 * end; and the synonym stage looks up the <em>stems</em> that the stem stage left behind, not the original words.
 */
public final class Meteor {
    public static final double DEFAULT_ALPHA = 0.9;
    public static final double DEFAULT_BETA = 3.0;
    public static final double DEFAULT_GAMMA = 0.5;

    /** The tokenization the fixtures and NLTK users commonly apply first: {@code re.findall(r"\w+|[^\w\s]", text)}. */
    private static final Pattern WORD_OR_SYMBOL = Pattern.compile("[\\p{L}\\p{N}_]+|[^\\p{L}\\p{N}_\\s]");

    private final WordNet wordNet;
    private final PorterStemmer stemmer = new PorterStemmer();
    private final double alpha;
    private final double beta;
    private final double gamma;

    public Meteor(WordNet wordNet) {
        this(wordNet, DEFAULT_ALPHA, DEFAULT_BETA, DEFAULT_GAMMA);
    }

    public Meteor(WordNet wordNet, double alpha, double beta, double gamma) {
        if (!(alpha >= 0 && alpha <= 1)) throw new JllmException("METEOR: alpha must be in [0, 1], got " + alpha);
        if (!(beta >= 0)) throw new JllmException("METEOR: beta must be >= 0, got " + beta);
        if (!(gamma >= 0 && gamma <= 1)) throw new JllmException("METEOR: gamma must be in [0, 1], got " + gamma);
        this.wordNet = wordNet;
        this.alpha = alpha;
        this.beta = beta;
        this.gamma = gamma;
    }

    /** Splits text into runs of word characters and single other non-space characters, like Python's \w regex. */
    public static List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD_OR_SYMBOL.matcher(text);
        while (m.find()) out.add(m.group());
        return out;
    }

    /** The best single-reference score over the references (NLTK's {@code meteor_score}). */
    public double score(List<List<String>> references, List<String> hypothesis) {
        if (references.isEmpty()) throw new JllmException("METEOR: no reference given");
        double best = Double.NEGATIVE_INFINITY;
        for (List<String> ref : references) best = Math.max(best, singleScore(ref, hypothesis));
        return best;
    }

    /** NLTK's {@code single_meteor_score(reference, hypothesis)}; 0 when nothing matches or a side is empty. */
    public double singleScore(List<String> reference, List<String> hypothesis) {
        List<Word> hyp = enumerate(hypothesis);
        List<Word> ref = enumerate(reference);
        int hypLength = hyp.size();
        int refLength = ref.size();
        List<int[]> matches = align(hyp, ref);
        int m = matches.size();
        if (m == 0 || hypLength == 0 || refLength == 0) return 0.0;
        double precision = (double) m / hypLength;
        double recall = (double) m / refLength;
        double fmean = (precision * recall) / (alpha * precision + (1 - alpha) * recall);
        double fragFrac = (double) countChunks(matches) / m;
        double penalty = gamma * Math.pow(fragFrac, beta);
        return (1 - penalty) * fmean;
    }

    /** A word with its position in the original sentence. */
    private record Word(int index, String text) {}

    private static List<Word> enumerate(List<String> tokens) {
        List<Word> out = new ArrayList<>(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (t == null) throw new JllmException("METEOR: token " + i + " is missing");
            out.add(new Word(i, t.toLowerCase(Locale.ROOT)));
        }
        return out;
    }

    /** The three alignment stages; returns (hypothesis index, reference index) pairs sorted by hypothesis index. */
    private List<int[]> align(List<Word> hyp, List<Word> ref) {
        List<int[]> matches = new ArrayList<>();
        matchExact(hyp, ref, matches);
        // The stem stage replaces the remaining words by their stems, and the synonym stage sees those stems.
        hyp.replaceAll(w -> new Word(w.index(), stemmer.stem(w.text())));
        ref.replaceAll(w -> new Word(w.index(), stemmer.stem(w.text())));
        matchExact(hyp, ref, matches);
        for (int i = hyp.size() - 1; i >= 0; i--) {
            Set<String> synonyms = wordNet.meteorSynonyms(hyp.get(i).text());
            for (int j = ref.size() - 1; j >= 0; j--) {
                if (synonyms.contains(ref.get(j).text())) {
                    matches.add(new int[] {hyp.get(i).index(), ref.get(j).index()});
                    hyp.remove(i);
                    ref.remove(j);
                    break;
                }
            }
        }
        matches.sort(Comparator.comparingInt(p -> p[0]));
        return matches;
    }

    /** Pairs equal words, scanning both lists from the end; matched words leave the lists. */
    private static void matchExact(List<Word> hyp, List<Word> ref, List<int[]> matches) {
        for (int i = hyp.size() - 1; i >= 0; i--) {
            for (int j = ref.size() - 1; j >= 0; j--) {
                if (hyp.get(i).text().equals(ref.get(j).text())) {
                    matches.add(new int[] {hyp.get(i).index(), ref.get(j).index()});
                    hyp.remove(i);
                    ref.remove(j);
                    break;
                }
            }
        }
    }

    /** The fewest chunks of matches adjacent in both sentences. */
    private static int countChunks(List<int[]> matches) {
        int chunks = 1;
        for (int i = 0; i < matches.size() - 1; i++) {
            int[] a = matches.get(i);
            int[] b = matches.get(i + 1);
            if (!(b[0] == a[0] + 1 && b[1] == a[1] + 1)) chunks++;
        }
        return chunks;
    }
}
