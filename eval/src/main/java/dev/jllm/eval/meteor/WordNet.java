package dev.jllm.eval.meteor;

import dev.jllm.core.JllmException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A read-only Princeton WordNet dictionary (the {@code index.*}, {@code data.*} and {@code *.exc} files) with the
 * lookups NLTK's METEOR needs, reproducing NLTK 3.8's {@code WordNetCorpusReader}: {@code synsets(word)} over all
 * parts of speech with NLTK's {@code _morphy} lemmatization, and each synset's lemma names.
 *
 * <p>{@link #wordNet30()} reads WordNet 3.0, the version NLTK's {@code wordnet} corpus is, from the
 * {@code net.sf.extjwnl:extjwnl-data-wn30} artifact on the class path (its files are Princeton's 3.0 dict files;
 * the synset counts per part of speech are 3.0's). {@link #load(Path)} reads any WordNet dict folder.
 */
public final class WordNet {

    /** NLTK's POS_LIST order, which is the order {@code synsets()} returns synsets in. */
    public enum Pos {
        NOUN('n', "noun"), VERB('v', "verb"), ADJ('a', "adj"), ADV('r', "adv");

        final char tag;
        final String file;

        Pos(char tag, String file) {
            this.tag = tag;
            this.file = file;
        }

        static Pos byTag(String tag, String where) {
            for (Pos p : values()) if (tag.length() == 1 && p.tag == tag.charAt(0)) return p;
            throw new JllmException(where + ": unknown part of speech '" + tag + "'");
        }
    }

    /** NLTK's MORPHOLOGICAL_SUBSTITUTIONS, in its order (order decides which lemma forms come first). */
    private static final Map<Pos, String[][]> SUBSTITUTIONS = Map.of(
            Pos.NOUN, new String[][] {{"s", ""}, {"ses", "s"}, {"ves", "f"}, {"xes", "x"}, {"zes", "z"},
                    {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"}},
            Pos.VERB, new String[][] {{"s", ""}, {"ies", "y"}, {"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""},
                    {"ing", "e"}, {"ing", ""}},
            Pos.ADJ, new String[][] {{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"}},
            Pos.ADV, new String[][] {});

    /** A lemma as written in a data file, minus an adjective's syntactic marker such as "(p)" or "(ip)". */
    private static final Pattern SYNTACTIC_MARKER = Pattern.compile("(.*?)(\\(.*\\))?");

    private static final String WN30_RESOURCE = "net/sf/extjwnl/data/wordnet/wn30/";
    private static volatile WordNet wordNet30;

    /** lemma -> part of speech -> synset offsets, as NLTK's {@code _lemma_pos_offset_map}. */
    private final Map<String, EnumMap<Pos, int[]>> index;
    private final EnumMap<Pos, Map<String, List<String>>> exceptions;
    private final EnumMap<Pos, byte[]> data;
    private final String source;
    private final Map<Long, List<String>> lemmaNameCache = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> synonymCache = new ConcurrentHashMap<>();

    private WordNet(Map<String, EnumMap<Pos, int[]>> index, EnumMap<Pos, Map<String, List<String>>> exceptions,
                    EnumMap<Pos, byte[]> data, String source) {
        this.index = index;
        this.exceptions = exceptions;
        this.data = data;
        this.source = source;
    }

    /** WordNet 3.0 from the class path, loaded once (about a second) and shared. */
    public static WordNet wordNet30() {
        WordNet wn = wordNet30;
        if (wn == null) {
            synchronized (WordNet.class) {
                wn = wordNet30;
                if (wn == null) {
                    wn = load(name -> {
                        InputStream in = WordNet.class.getClassLoader().getResourceAsStream(WN30_RESOURCE + name);
                        if (in == null) {
                            throw new JllmException("WordNet 3.0 file " + name + " not found on the class path (it comes"
                                    + " from net.sf.extjwnl:extjwnl-data-wn30 under " + WN30_RESOURCE + ")");
                        }
                        return in;
                    }, "classpath:" + WN30_RESOURCE);
                    wordNet30 = wn;
                }
            }
        }
        return wn;
    }

    /** A WordNet dict folder (e.g. Debian's /usr/share/wordnet) holding index.noun, data.noun, noun.exc, .... */
    public static WordNet load(Path dictDir) {
        if (!Files.isDirectory(dictDir)) throw new JllmException("WordNet folder not found: " + dictDir);
        return load(name -> {
            Path p = dictDir.resolve(name);
            if (!Files.isRegularFile(p)) throw new JllmException("WordNet file missing: " + p);
            return Files.newInputStream(p);
        }, dictDir.toString());
    }

    @FunctionalInterface
    private interface Opener {
        InputStream open(String name) throws IOException;
    }

    private static WordNet load(Opener opener, String source) {
        Map<String, EnumMap<Pos, int[]>> index = new HashMap<>(1 << 18);
        EnumMap<Pos, Map<String, List<String>>> exceptions = new EnumMap<>(Pos.class);
        EnumMap<Pos, byte[]> data = new EnumMap<>(Pos.class);
        try {
            for (Pos pos : Pos.values()) {
                readIndex(opener, "index." + pos.file, source, index);
                exceptions.put(pos, readExceptions(opener, pos.file + ".exc"));
                try (InputStream in = opener.open("data." + pos.file)) {
                    data.put(pos, in.readAllBytes());
                }
            }
        } catch (IOException e) {
            throw new JllmException("cannot read WordNet from " + source + ": " + e.getMessage(), e);
        }
        return new WordNet(index, exceptions, data, source);
    }

    private static void readIndex(Opener opener, String name, String source, Map<String, EnumMap<Pos, int[]>> index)
            throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(opener.open(name), StandardCharsets.UTF_8))) {
            String line;
            int lineNo = 0;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.startsWith(" ") || line.isEmpty()) continue; // the license header
                String where = source + name + " line " + lineNo;
                String[] t = fields(line);
                try {
                    String lemma = t[0];
                    Pos pos = Pos.byTag(t[1], where);
                    int nSynsets = Integer.parseInt(t[2]);
                    int nPointers = Integer.parseInt(t[3]);
                    int k = 4 + nPointers;
                    int nSenses = Integer.parseInt(t[k]);
                    if (nSenses != nSynsets || nSynsets <= 0) throw new JllmException(where + ": inconsistent sense count");
                    k += 2; // n_senses, then tagsense_cnt
                    int[] offsets = new int[nSynsets];
                    for (int i = 0; i < nSynsets; i++) offsets[i] = Integer.parseInt(t[k + i]);
                    index.computeIfAbsent(lemma, x -> new EnumMap<>(Pos.class)).put(pos, offsets);
                } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
                    throw new JllmException(where + ": malformed index entry (" + e.getMessage() + ")");
                }
            }
        }
    }

    /** Space-separated fields (index lines use single spaces; a plain scan is much faster than a regex split). */
    private static String[] fields(String line) {
        List<String> out = new ArrayList<>(16);
        int n = line.length();
        int i = 0;
        while (i < n) {
            while (i < n && Character.isWhitespace(line.charAt(i))) i++;
            int start = i;
            while (i < n && !Character.isWhitespace(line.charAt(i))) i++;
            if (i > start) out.add(line.substring(start, i));
        }
        return out.toArray(String[]::new);
    }

    private static Map<String, List<String>> readExceptions(Opener opener, String name) throws IOException {
        Map<String, List<String>> map = new HashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(opener.open(name), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                String trimmed = line.trim();
                if (trimmed.isEmpty()) continue;
                String[] t = trimmed.split("\\s+");
                // A later line for the same inflected form replaces the earlier one, as in NLTK's dict assignment.
                map.put(t[0], List.of(t).subList(1, t.length));
            }
        }
        return map;
    }

    /** Where the dictionary was read from. */
    public String source() {
        return source;
    }

    /** NLTK's {@code _morphy(form, pos)}: the base forms of {@code form} that WordNet lists for {@code pos}. */
    public List<String> morphy(String form, Pos pos) {
        Map<String, List<String>> exc = exceptions.get(pos);
        List<String> excForms = exc.get(form);
        if (excForms != null) {
            List<String> candidates = new ArrayList<>();
            candidates.add(form);
            candidates.addAll(excForms);
            return filterForms(candidates, pos);
        }
        List<String> forms = applyRules(List.of(form), pos);
        List<String> first = new ArrayList<>();
        first.add(form);
        first.addAll(forms);
        List<String> results = filterForms(first, pos);
        if (!results.isEmpty()) return results;
        while (!forms.isEmpty()) {
            // Duplicates are dropped level by level; this keeps the first-occurrence order (and so the result)
            // identical to NLTK's while avoiding its exponential growth on words like "eseseses".
            forms = List.copyOf(new LinkedHashSet<>(applyRules(forms, pos)));
            results = filterForms(forms, pos);
            if (!results.isEmpty()) return results;
        }
        return List.of();
    }

    private static List<String> applyRules(List<String> forms, Pos pos) {
        List<String> out = new ArrayList<>();
        for (String f : forms) {
            for (String[] rule : SUBSTITUTIONS.get(pos)) {
                if (f.endsWith(rule[0])) out.add(f.substring(0, f.length() - rule[0].length()) + rule[1]);
            }
        }
        return out;
    }

    private List<String> filterForms(List<String> forms, Pos pos) {
        LinkedHashSet<String> result = new LinkedHashSet<>();
        for (String f : forms) {
            EnumMap<Pos, int[]> entry = index.get(f);
            if (entry != null && entry.containsKey(pos)) result.add(f);
        }
        return List.copyOf(result);
    }

    /** A synset, named by its part of speech and byte offset in the data file. */
    public record Synset(Pos pos, int offset) {}

    /** NLTK's {@code synsets(word)}: lowercased, lemmatized for each part of speech in turn, every sense. */
    public List<Synset> synsets(String word) {
        String lemma = word.toLowerCase(Locale.ROOT);
        List<Synset> out = new ArrayList<>();
        for (Pos pos : Pos.values()) {
            for (String form : morphy(lemma, pos)) {
                int[] offsets = index.get(form).get(pos);
                for (int off : offsets) out.add(new Synset(pos, off));
            }
        }
        return out;
    }

    /** The lemma names of a synset, in the data file's order, with their original case and underscores. */
    public List<String> lemmaNames(Synset synset) {
        long key = ((long) synset.pos().ordinal() << 32) | (synset.offset() & 0xffffffffL);
        return lemmaNameCache.computeIfAbsent(key, k -> parseLemmaNames(synset));
    }

    private List<String> parseLemmaNames(Synset synset) {
        byte[] bytes = data.get(synset.pos());
        int start = synset.offset();
        String where = source + "data." + synset.pos().file + " offset " + start;
        if (start < 0 || start >= bytes.length) throw new JllmException(where + ": offset outside the file");
        int end = start;
        while (end < bytes.length && bytes[end] != '\n') end++;
        String line = new String(bytes, start, end - start, StandardCharsets.UTF_8);
        int bar = line.indexOf(" | ");
        String[] t = (bar >= 0 ? line.substring(0, bar) : line).trim().split("\\s+");
        try {
            if (Integer.parseInt(t[0]) != start) throw new JllmException(where + ": the line there is not that synset");
            int nLemmas = Integer.parseInt(t[3], 16);
            List<String> names = new ArrayList<>(nLemmas);
            for (int i = 0; i < nLemmas; i++) {
                Matcher m = SYNTACTIC_MARKER.matcher(t[4 + 2 * i]);
                if (!m.matches()) throw new JllmException(where + ": malformed lemma " + t[4 + 2 * i]);
                names.add(m.group(1));
            }
            return Collections.unmodifiableList(names);
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException e) {
            throw new JllmException(where + ": malformed synset line (" + e.getMessage() + ")");
        }
    }

    /**
     * The synonym set NLTK's METEOR builds for a word: the lemma names without an underscore of every synset of
     * the word, plus the word itself.
     */
    public Set<String> meteorSynonyms(String word) {
        return synonymCache.computeIfAbsent(word, w -> {
            Set<String> syns = new HashSet<>();
            for (Synset s : synsets(w)) {
                for (String name : lemmaNames(s)) if (name.indexOf('_') < 0) syns.add(name);
            }
            syns.add(w);
            return Set.copyOf(syns);
        });
    }
}
