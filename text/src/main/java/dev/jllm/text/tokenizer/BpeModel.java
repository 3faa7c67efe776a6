package dev.jllm.text.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A BPE model: vocabulary, merge rules, and the unknown-character policy (byte fallback, unk token, fused unks).
 * Serves both HF's {@code BPE} model (merge ranks from the merges list) and SentencePiece BPE (merge priority from
 * piece scores; see {@link #fromScores}).
 *
 * <p>Words are encoded through a cache keyed by the word's text, because natural text repeats words constantly.
 */
final class BpeModel {
    private static final int CACHE_SIZE = 1 << 17;
    private static final int CACHEABLE_LENGTH = 256;

    final Map<String, Integer> vocab;
    final String[] idToToken;
    private final MergeTable merges;
    private final boolean byteLevel;
    private final boolean byteFallback;
    private final int unkId;
    private final boolean fuseUnk;
    private final boolean ignoreMerges;
    private final String continuingSubwordPrefix;
    private final String endOfWordSuffix;
    /** Vocabulary id of each byte's GPT-2 character (byte-level models), -1 if absent. */
    private final int[] byteIds = new int[256];
    /** Vocabulary id of each BMP character as a one-character token, -1 if absent. */
    private final int[] charIds;
    /** Vocabulary id of each {@code <0xXX>} byte-fallback token, -1 if absent. */
    private final int[] fallbackIds = new int[256];
    /** SentencePiece: pieces that may never stay in the output (type UNUSED) resegment into the pair they came from. */
    private final boolean[] unused;
    /**
     * Direct-mapped word cache, looked up by hashing the word in place (no substring on a hit). Entries are
     * immutable and a lost or overwritten entry only costs a recomputation, so plain array writes are thread-safe.
     */
    private final CacheEntry[] cache = new CacheEntry[CACHE_SIZE];
    /** The hash of each slot's word, checked first so a miss touches one int instead of three objects. */
    private final int[] cacheHashes = new int[CACHE_SIZE];

    private record CacheEntry(String word, int hash, int[] result) {}
    /**
     * SentencePiece-style models see whole lines as one word. When no vocabulary token has a "▁" right after
     * another character (true of Llama 2 and Mistral), no merge can cross the start of a "▁"-word, so the line
     * can be encoded word by word, through the cache, with identical results.
     */
    private final boolean chunkAtMetaspace;

    BpeModel(Map<String, Integer> vocab, MergeTable merges, boolean byteLevel, boolean byteFallback, int unkId,
             boolean fuseUnk, boolean ignoreMerges, String continuingSubwordPrefix, String endOfWordSuffix, boolean[] unused) {
        this.vocab = vocab;
        int maxId = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
        this.idToToken = new String[maxId + 1];
        vocab.forEach((t, id) -> idToToken[id] = t);
        this.merges = merges;
        this.byteLevel = byteLevel;
        this.byteFallback = byteFallback;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
        this.continuingSubwordPrefix = continuingSubwordPrefix == null ? "" : continuingSubwordPrefix;
        this.endOfWordSuffix = endOfWordSuffix == null ? "" : endOfWordSuffix;
        this.unused = unused;
        for (int b = 0; b < 256; b++) {
            byteIds[b] = vocab.getOrDefault(String.valueOf(ByteLevelAlphabet.BYTE_TO_CHAR[b]), -1);
            fallbackIds[b] = vocab.getOrDefault(String.format("<0x%02X>", b), -1);
        }
        this.chunkAtMetaspace = !byteLevel && vocab.containsKey("\u2581") && vocab.keySet().stream().noneMatch(t -> {
            for (int i = 1; i < t.length(); i++) if (t.charAt(i) == '\u2581' && t.charAt(i - 1) != '\u2581') return true;
            return false;
        });
        charIds = new int[65536];
        Arrays.fill(charIds, -1);
        vocab.forEach((t, id) -> {
            if (t.length() == 1) charIds[t.charAt(0)] = id;
        });
    }

    /**
     * HF BPE: merges in priority order, each "left right"; the merged token must be in the vocabulary.
     */
    static MergeTable mergesFromList(Map<String, Integer> vocab, java.util.List<String[]> merges, String prefix, String where) {
        MergeTable table = new MergeTable(merges.size());
        int prefixLen = prefix == null ? 0 : prefix.length();
        for (int rank = 0; rank < merges.size(); rank++) {
            String[] m = merges.get(rank);
            Integer a = vocab.get(m[0]), b = vocab.get(m[1]);
            if (a == null || b == null) {
                throw new dev.jllm.core.JllmException(where + ": merge " + rank + " (\"" + m[0] + " " + m[1] + "\") uses a token missing from the vocabulary");
            }
            String right = prefixLen > 0 && m[1].startsWith(prefix) ? m[1].substring(prefixLen) : m[1];
            Integer merged = vocab.get(m[0] + right);
            if (merged == null) {
                throw new dev.jllm.core.JllmException(where + ": merge " + rank + " (\"" + m[0] + " " + m[1] + "\") produces a token missing from the vocabulary");
            }
            table.putIfAbsent(a, b, rank, merged);
        }
        return table;
    }

    /**
     * SentencePiece BPE: any two adjacent pieces whose concatenation is a mergeable piece merge, the piece with
     * the highest score first, the leftmost on equal scores. Ranks are the score order (equal scores share a rank).
     */
    static MergeTable mergesFromScores(String[] pieces, float[] scores, boolean[] mergeable) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < pieces.length; i++) ids.putIfAbsent(pieces[i], i);
        Integer[] order = new Integer[pieces.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Float.compare(scores[y], scores[x]));
        int[] rank = new int[pieces.length];
        int r = -1;
        float last = Float.NaN;
        for (Integer id : order) {
            if (r < 0 || Float.compare(scores[id], last) != 0) r++;
            last = scores[id];
            rank[id] = r;
        }
        MergeTable table = new MergeTable(pieces.length * 4);
        for (int id = 0; id < pieces.length; id++) {
            if (!mergeable[id]) continue;
            String p = pieces[id];
            for (int cut = 1; cut < p.length(); cut++) {
                if (Character.isLowSurrogate(p.charAt(cut))) continue;
                Integer a = ids.get(p.substring(0, cut)), b = ids.get(p.substring(cut));
                if (a != null && b != null) table.putIfAbsent(a, b, rank[id], id);
            }
        }
        return table;
    }

    int vocabSize() {
        return idToToken.length;
    }

    String idToToken(int id) {
        return id >= 0 && id < idToToken.length ? idToToken[id] : null;
    }

    /**
     * Encodes the word text[from, to), appending ids and, when {@code offsets} is not null, each token's
     * [start, end) in UTF-16 units of {@code text}.
     */
    void encode(String text, int from, int to, IntList ids, IntList offsets) {
        if (from >= to) return;
        if (chunkAtMetaspace) {
            int start = from;
            for (int i = from + 1; i < to; i++) {
                if (text.charAt(i) == '\u2581' && text.charAt(i - 1) != '\u2581') {
                    encodeWord(text, start, i, ids, offsets);
                    start = i;
                }
            }
            encodeWord(text, start, to, ids, offsets);
        } else {
            encodeWord(text, from, to, ids, offsets);
        }
    }

    private void encodeWord(String text, int from, int to, IntList ids, IntList offsets) {
        int[] result;
        int len = to - from;
        if (len <= CACHEABLE_LENGTH) {
            int h = 0;
            for (int i = from; i < to; i++) h = 31 * h + text.charAt(i);
            int slot = (h ^ (h >>> 15)) & (CACHE_SIZE - 1);
            CacheEntry entry = cacheHashes[slot] == h ? cache[slot] : null;
            if (entry != null && entry.hash == h && sameChars(entry.word, text, from, len)) {
                result = entry.result;
            } else {
                String word = text.substring(from, to);
                result = encodeWord(word);
                cache[slot] = new CacheEntry(word, h, result);
                cacheHashes[slot] = h;
            }
        } else {
            result = encodeWord(text.substring(from, to));
        }
        int n = result.length / 2;
        for (int k = 0; k < n; k++) ids.add(result[k]);
        if (offsets != null) {
            int start = from, lastStart = from, lastEnd = from;
            for (int k = 0; k < n; k++) {
                int end = from + result[n + k];
                if (end == start && k > 0) {
                    // the 2nd, 3rd... byte-fallback token of a character: like HF, each covers the whole character
                    offsets.add(lastStart, lastEnd);
                    continue;
                }
                offsets.add(start, end);
                lastStart = start;
                lastEnd = end;
                start = end;
            }
            fixOffsets(text, from, to, result, n, offsets);
        }
    }

    /** word equals text[from, from + len); a plain loop beats regionMatches on these short words. */
    private static boolean sameChars(String word, String text, int from, int len) {
        if (word.length() != len) return false;
        for (int k = 0; k < len; k++) if (word.charAt(k) != text.charAt(from + k)) return false;
        return true;
    }

    /** Byte-level tokens ending inside a multi-byte character: widen to whole characters (HF char offsets). */
    private void fixOffsets(String text, int from, int to, int[] result, int n, IntList offsets) {
        if (!byteLevel) return;
        // result ends are in bytes for byte-level words: convert byte positions to char positions
        int base = offsets.size - 2 * n;
        int[] byteToChar = byteToCharMap(text, from, to);
        int startByte = 0;
        for (int k = 0; k < n; k++) {
            int endByte = result[n + k];
            int s = byteToChar[startByte];
            int e = endByte == 0 ? 0 : endByte >= byteToChar.length - 1 ? to - from : charEnd(byteToChar, endByte);
            offsets.data[base + 2 * k] = from + s;
            offsets.data[base + 2 * k + 1] = from + Math.max(e, s);
            startByte = endByte;
        }
    }

    private static int charEnd(int[] byteToChar, int endByte) {
        // the char containing the last byte of the token, plus its length
        int lastChar = byteToChar[endByte - 1];
        int next = endByte;
        while (next < byteToChar.length - 1 && byteToChar[next] == lastChar) next++;
        return byteToChar[next];
    }

    /** For each byte index of the UTF-8 encoding of text[from, to), the index of its char (relative to from). */
    private static int[] byteToCharMap(String text, int from, int to) {
        int[] map = new int[(to - from) * 3 + 1];
        int b = 0;
        for (int i = from; i < to; ) {
            int cp = text.codePointAt(i);
            int len = Character.charCount(cp);
            int bytes = Utf8.encodedLength(cp);
            for (int k = 0; k < bytes; k++) map[b++] = i - from;
            i += len;
        }
        map[b] = to - from;
        return Arrays.copyOf(map, b + 1);
    }

    /** Returns ids followed by each token's end position (bytes for byte-level models, chars otherwise). */
    private int[] encodeWord(String word) {
        return byteLevel ? encodeByteLevel(word) : encodeChars(word);
    }

    private int[] encodeByteLevel(String word) {
        byte[] bytes = word.getBytes(StandardCharsets.UTF_8);
        int n = bytes.length;
        if (ignoreMerges) {
            Integer whole = vocab.get(ByteLevelAlphabet.encode(bytes, 0, n));
            if (whole != null) return new int[]{whole, n};
        }
        int[] ids = new int[n];
        int[] lens = new int[n];
        int m = 0;
        boolean prevUnk = false;
        for (int i = 0; i < n; i++) {
            int b = bytes[i] & 0xFF;
            int id = byteIds[b];
            if (id >= 0) {
                ids[m] = id;
                lens[m++] = 1;
                prevUnk = false;
                continue;
            }
            // the byte's character is missing from the vocabulary: fall back like HF does for any unknown char
            byte[] charBytes = String.valueOf(ByteLevelAlphabet.BYTE_TO_CHAR[b]).getBytes(StandardCharsets.UTF_8);
            if (byteFallback && allFallbacks(charBytes)) {
                if (m + charBytes.length > ids.length) {
                    ids = Arrays.copyOf(ids, ids.length + n + 4);
                    lens = Arrays.copyOf(lens, lens.length + n + 4);
                }
                for (int k = 0; k < charBytes.length; k++) {
                    ids[m] = fallbackIds[charBytes[k] & 0xFF];
                    lens[m++] = k == 0 ? 1 : 0;
                }
                prevUnk = false;
            } else if (unkId >= 0) {
                if (fuseUnk && prevUnk) {
                    lens[m - 1] += 1;
                } else {
                    ids[m] = unkId;
                    lens[m++] = 1;
                }
                prevUnk = true;
            }
        }
        m = applyMerges(ids, lens, m);
        return pack(ids, lens, m);
    }

    private boolean allFallbacks(byte[] bytes) {
        for (byte b : bytes) if (fallbackIds[b & 0xFF] < 0) return false;
        return true;
    }

    private int[] encodeChars(String word) {
        int n = word.length();
        if (ignoreMerges) {
            Integer whole = vocab.get(word);
            if (whole != null) return new int[]{whole, n};
        }
        int[] ids = new int[n * 4 + 4];
        int[] lens = new int[n * 4 + 4];
        int m = 0;
        boolean prevUnk = false;
        boolean affixes = !continuingSubwordPrefix.isEmpty() || !endOfWordSuffix.isEmpty();
        for (int i = 0; i < n; ) {
            int cp = word.codePointAt(i);
            int len = Character.charCount(cp);
            int id;
            if (!affixes && len == 1) {
                id = charIds[word.charAt(i)];
            } else {
                String s = word.substring(i, i + len);
                if (i > 0) s = continuingSubwordPrefix + s;
                if (i + len == n) s = s + endOfWordSuffix;
                id = vocab.getOrDefault(s, -1);
            }
            if (id >= 0) {
                ids[m] = id;
                lens[m++] = len;
                prevUnk = false;
            } else {
                byte[] bytes = word.substring(i, i + len).getBytes(StandardCharsets.UTF_8);
                if (byteFallback && allFallbacks(bytes)) {
                    for (int k = 0; k < bytes.length; k++) {
                        ids[m] = fallbackIds[bytes[k] & 0xFF];
                        // the first byte token carries the character; the others cover nothing more
                        lens[m++] = k == 0 ? len : 0;
                    }
                    prevUnk = false;
                } else if (unkId >= 0) {
                    if (fuseUnk && prevUnk) {
                        lens[m - 1] += len;
                    } else {
                        ids[m] = unkId;
                        lens[m++] = len;
                    }
                    prevUnk = true;
                }
            }
            i += len;
        }
        m = applyMerges(ids, lens, m);
        return pack(ids, lens, m);
    }

    private int applyMerges(int[] ids, int[] lens, int m) {
        int n = merges.apply(ids, lens, m);
        if (unused == null) return n;
        return resegmentUnused(ids, lens, n);
    }

    /**
     * SentencePiece never outputs UNUSED pieces: it splits them back into the pair that formed them. Without the
     * merge history we split at the first cut whose halves are both usable pieces in the vocabulary.
     */
    private int resegmentUnused(int[] ids, int[] lens, int n) {
        boolean any = false;
        for (int i = 0; i < n; i++) any |= ids[i] >= 0 && ids[i] < unused.length && unused[ids[i]];
        if (!any) return n;
        IntList outIds = new IntList(n * 2), outLens = new IntList(n * 2);
        for (int i = 0; i < n; i++) resegment(ids[i], lens[i], outIds, outLens);
        System.arraycopy(outIds.data, 0, ids, 0, Math.min(outIds.size, ids.length));
        System.arraycopy(outLens.data, 0, lens, 0, Math.min(outLens.size, lens.length));
        return Math.min(outIds.size, ids.length);
    }

    private void resegment(int id, int len, IntList outIds, IntList outLens) {
        if (id < 0 || id >= unused.length || !unused[id]) {
            outIds.add(id);
            outLens.add(len);
            return;
        }
        String p = idToToken[id];
        for (int cut = 1; cut < p.length(); cut++) {
            Integer a = vocab.get(p.substring(0, cut)), b = vocab.get(p.substring(cut));
            if (a != null && b != null) {
                int leftLen = cut;
                resegment(a, Math.min(leftLen, len), outIds, outLens);
                resegment(b, Math.max(0, len - leftLen), outIds, outLens);
                return;
            }
        }
        outIds.add(id);
        outLens.add(len);
    }

    private static int[] pack(int[] ids, int[] lens, int m) {
        int[] out = new int[2 * m];
        int end = 0;
        for (int k = 0; k < m; k++) {
            out[k] = ids[k];
            end += lens[k];
            out[m + k] = end;
        }
        return out;
    }
}
