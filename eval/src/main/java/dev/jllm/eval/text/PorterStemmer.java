package dev.jllm.eval.text;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The Porter stemmer exactly as NLTK 3.8's {@code PorterStemmer()} in its default {@code NLTK_EXTENSIONS} mode,
 * the stemmer behind rouge_score's {@code use_stemmer=True} and NLTK's METEOR.
 *
 * <p>NLTK departs from the 1980 paper in several places (irregular forms, {@code ies}/{@code ied} on 4-letter
 * words, the {@code y -> i} condition, {@code alli} before {@code bli}, {@code fulli} and {@code logi}, words of one
 * or two letters left alone); each departure is reproduced because metric scores change with them.
 *
 * <p>Words are handled as code points, as Python indexes strings, so a word with characters outside the BMP
 * measures and stems exactly as in Python. Thread-safe and stateless.
 */
public final class PorterStemmer {

    /** NLTK's irregular forms: an exact (case-sensitive) match of the input word returns the paradigm form. */
    private static final Map<String, String> IRREGULAR = Map.ofEntries(
            Map.entry("sky", "sky"), Map.entry("skies", "sky"),
            Map.entry("dying", "die"), Map.entry("lying", "lie"), Map.entry("tying", "tie"),
            Map.entry("news", "news"),
            Map.entry("innings", "inning"), Map.entry("inning", "inning"),
            Map.entry("outings", "outing"), Map.entry("outing", "outing"),
            Map.entry("cannings", "canning"), Map.entry("canning", "canning"),
            Map.entry("howe", "howe"),
            Map.entry("proceed", "proceed"), Map.entry("exceed", "exceed"), Map.entry("succeed", "succeed"));

    /** One suffix rule: when the word ends with {@code suffix}, the rule decides (even when its condition fails). */
    private record Rule(String suffix, String replacement, Predicate<int[]> condition) {}

    /** Marker suffix for the "ends with a double consonant" rule of step 1b, as NLTK spells it. */
    private static final String DOUBLE_CONSONANT = "*d";

    public PorterStemmer() {}

    /** Stems one word (lowercasing it first, as NLTK's {@code stem(word)} does). */
    public String stem(String word) {
        String lower = word.toLowerCase(Locale.ROOT);
        // NLTK looks the irregular forms up before lowercasing, so "Skies" is stemmed by the rules, "skies" is not.
        String irregular = IRREGULAR.get(word);
        if (irregular != null) return irregular;
        if (PyStrings.length(word) <= 2) return lower;
        int[] w = lower.codePoints().toArray();
        w = step1a(w);
        w = step1b(w);
        w = step1c(w);
        w = step2(w);
        w = step3(w);
        w = step4(w);
        w = step5a(w);
        w = step5b(w);
        return new String(w, 0, w.length);
    }

    // ---- letter classes -------------------------------------------------------------------------------------

    private static boolean isVowelLetter(int c) {
        return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
    }

    /** A consonant is any letter but a, e, i, o, u, and but a y that follows a consonant (y at the start is one). */
    static boolean isConsonant(int[] w, int i) {
        int j = i;
        int flips = 0;
        while (w[j] == 'y' && j > 0) {
            j--;
            flips++;
        }
        boolean base = w[j] == 'y' || !isVowelLetter(w[j]);
        return (flips & 1) == 0 ? base : !base;
    }

    /** Porter's m: the number of vowel-run-then-consonant transitions. */
    static int measure(int[] stem) {
        int m = 0;
        boolean prevVowel = false;
        for (int i = 0; i < stem.length; i++) {
            boolean consonant = isConsonant(stem, i);
            if (consonant && prevVowel) m++;
            prevVowel = !consonant;
        }
        return m;
    }

    private static boolean hasPositiveMeasure(int[] stem) {
        return measure(stem) > 0;
    }

    private static boolean containsVowel(int[] stem) {
        for (int i = 0; i < stem.length; i++) if (!isConsonant(stem, i)) return true;
        return false;
    }

    private static boolean endsDoubleConsonant(int[] w) {
        int n = w.length;
        return n >= 2 && w[n - 1] == w[n - 2] && isConsonant(w, n - 1);
    }

    /** Condition *o, with NLTK's extension that a two-letter vowel-consonant word also qualifies. */
    private static boolean endsCvc(int[] w) {
        int n = w.length;
        if (n >= 3 && isConsonant(w, n - 3) && !isConsonant(w, n - 2) && isConsonant(w, n - 1)
                && w[n - 1] != 'w' && w[n - 1] != 'x' && w[n - 1] != 'y') {
            return true;
        }
        return n == 2 && !isConsonant(w, 0) && isConsonant(w, 1);
    }

    // ---- code point string helpers --------------------------------------------------------------------------

    private static boolean endsWith(int[] w, String suffix) {
        int k = suffix.length();
        if (k > w.length) return false;
        for (int i = 0; i < k; i++) if (w[w.length - k + i] != suffix.charAt(i)) return false;
        return true;
    }

    private static int[] drop(int[] w, int n) {
        return Arrays.copyOf(w, w.length - n);
    }

    private static int[] append(int[] w, String s) {
        int[] add = s.codePoints().toArray();
        int[] out = Arrays.copyOf(w, w.length + add.length);
        System.arraycopy(add, 0, out, w.length, add.length);
        return out;
    }

    private static int[] replaceSuffix(int[] w, String suffix, String replacement) {
        return append(drop(w, suffix.length()), replacement);
    }

    /** The first rule whose suffix matches decides: its replacement when its condition holds, else no change. */
    private static int[] applyRules(int[] w, List<Rule> rules) {
        for (Rule r : rules) {
            if (r.suffix.equals(DOUBLE_CONSONANT) && endsDoubleConsonant(w)) {
                int[] stem = drop(w, 2);
                return r.condition == null || r.condition.test(stem) ? append(stem, r.replacement) : w;
            }
            if (endsWith(w, r.suffix)) {
                int[] stem = drop(w, r.suffix.length());
                return r.condition == null || r.condition.test(stem) ? append(stem, r.replacement) : w;
            }
        }
        return w;
    }

    // ---- the steps ------------------------------------------------------------------------------------------

    private static final List<Rule> STEP1A = List.of(
            new Rule("sses", "ss", null), new Rule("ies", "i", null), new Rule("ss", "ss", null), new Rule("s", "", null));

    private static int[] step1a(int[] w) {
        if (endsWith(w, "ies") && w.length == 4) return replaceSuffix(w, "ies", "ie");
        return applyRules(w, STEP1A);
    }

    private static int[] step1b(int[] w) {
        if (endsWith(w, "ied")) return replaceSuffix(w, "ied", w.length == 4 ? "ie" : "i");
        if (endsWith(w, "eed")) {
            int[] stem = drop(w, 3);
            return measure(stem) > 0 ? append(stem, "ee") : w;
        }
        int[] intermediate = null;
        for (String suffix : new String[] {"ed", "ing"}) {
            if (endsWith(w, suffix)) {
                int[] stem = drop(w, suffix.length());
                if (containsVowel(stem)) {
                    intermediate = stem;
                    break;
                }
            }
        }
        if (intermediate == null) return w;
        int last = intermediate[intermediate.length - 1];
        return applyRules(intermediate, List.of(
                new Rule("at", "ate", null),
                new Rule("bl", "ble", null),
                new Rule("iz", "ize", null),
                new Rule(DOUBLE_CONSONANT, Character.toString(last), s -> last != 'l' && last != 's' && last != 'z'),
                new Rule("", "e", s -> measure(s) == 1 && endsCvc(s))));
    }

    private static final List<Rule> STEP1C = List.of(new Rule("y", "i", s -> s.length > 1 && isConsonant(s, s.length - 1)));

    private static int[] step1c(int[] w) {
        return applyRules(w, STEP1C);
    }

    private static final Predicate<int[]> POSITIVE = PorterStemmer::hasPositiveMeasure;
    private static final List<Rule> STEP2 = List.of(
            new Rule("ational", "ate", POSITIVE),
            new Rule("tional", "tion", POSITIVE),
            new Rule("enci", "ence", POSITIVE),
            new Rule("anci", "ance", POSITIVE),
            new Rule("izer", "ize", POSITIVE),
            new Rule("bli", "ble", POSITIVE),
            new Rule("alli", "al", POSITIVE),
            new Rule("entli", "ent", POSITIVE),
            new Rule("eli", "e", POSITIVE),
            new Rule("ousli", "ous", POSITIVE),
            new Rule("ization", "ize", POSITIVE),
            new Rule("ation", "ate", POSITIVE),
            new Rule("ator", "ate", POSITIVE),
            new Rule("alism", "al", POSITIVE),
            new Rule("iveness", "ive", POSITIVE),
            new Rule("fulness", "ful", POSITIVE),
            new Rule("ousness", "ous", POSITIVE),
            new Rule("aliti", "al", POSITIVE),
            new Rule("iviti", "ive", POSITIVE),
            new Rule("biliti", "ble", POSITIVE),
            new Rule("fulli", "ful", POSITIVE),
            // The 'l' of 'logi' stays with the stem for the measure, so short stems like 'geo' qualify.
            new Rule("logi", "log", s -> hasPositiveMeasure(append(s, "l"))));

    private static int[] step2(int[] w) {
        if (endsWith(w, "alli") && hasPositiveMeasure(drop(w, 4))) return step2(replaceSuffix(w, "alli", "al"));
        return applyRules(w, STEP2);
    }

    private static final List<Rule> STEP3 = List.of(
            new Rule("icate", "ic", PorterStemmer::hasPositiveMeasure),
            new Rule("ative", "", PorterStemmer::hasPositiveMeasure),
            new Rule("alize", "al", PorterStemmer::hasPositiveMeasure),
            new Rule("iciti", "ic", PorterStemmer::hasPositiveMeasure),
            new Rule("ical", "ic", PorterStemmer::hasPositiveMeasure),
            new Rule("ful", "", PorterStemmer::hasPositiveMeasure),
            new Rule("ness", "", PorterStemmer::hasPositiveMeasure));

    private static int[] step3(int[] w) {
        return applyRules(w, STEP3);
    }

    private static final Predicate<int[]> M_GT_1 = s -> measure(s) > 1;
    private static final List<Rule> STEP4 = List.of(
            new Rule("al", "", M_GT_1), new Rule("ance", "", M_GT_1), new Rule("ence", "", M_GT_1),
            new Rule("er", "", M_GT_1), new Rule("ic", "", M_GT_1), new Rule("able", "", M_GT_1),
            new Rule("ible", "", M_GT_1), new Rule("ant", "", M_GT_1), new Rule("ement", "", M_GT_1),
            new Rule("ment", "", M_GT_1), new Rule("ent", "", M_GT_1),
            new Rule("ion", "", s -> measure(s) > 1 && (s[s.length - 1] == 's' || s[s.length - 1] == 't')),
            new Rule("ou", "", M_GT_1), new Rule("ism", "", M_GT_1), new Rule("ate", "", M_GT_1),
            new Rule("iti", "", M_GT_1), new Rule("ous", "", M_GT_1), new Rule("ive", "", M_GT_1),
            new Rule("ize", "", M_GT_1));

    private static int[] step4(int[] w) {
        return applyRules(w, STEP4);
    }

    /** Both e-rules are tried in turn here (unlike step 1b's eed/ed), as the paper's examples require. */
    private static int[] step5a(int[] w) {
        if (endsWith(w, "e")) {
            int[] stem = drop(w, 1);
            int m = measure(stem);
            if (m > 1) return stem;
            if (m == 1 && !endsCvc(stem)) return stem;
        }
        return w;
    }

    /** The measure is taken of the word less one l, as NLTK does. */
    private static final List<Rule> STEP5B = List.of(new Rule("ll", "l", s -> measure(append(s, "l")) > 1));

    private static int[] step5b(int[] w) {
        return applyRules(w, STEP5B);
    }
}
