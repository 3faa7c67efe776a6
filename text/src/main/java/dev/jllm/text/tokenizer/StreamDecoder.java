package dev.jllm.text.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Incremental decoding for streaming generation, as HF's {@code DecodeStream}: each {@link #step} returns the new
 * text once it ends in a complete character, so a token that stops inside a multi-byte UTF-8 character yields
 * nothing until the character is complete. Decoding a short window of previous ids keeps decoder context right
 * (e.g. a leading space that is stripped only at the very start).
 */
public final class StreamDecoder {
    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private final List<Integer> ids = new ArrayList<>();
    private String prefix = "";
    private int prefixIndex = 0;

    StreamDecoder(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Feeds one id; returns the text it completes, if any. */
    public Optional<String> step(int id) {
        ids.add(id);
        String text = tokenizer.decode(toArray(ids), skipSpecialTokens);
        if (text.length() > prefix.length() && !text.endsWith("\uFFFD")) {
            // HF fails when earlier text changes; no decoder used by real models does that, so emit what differs
            int common = text.startsWith(prefix) ? prefix.length() : commonPrefix(text, prefix);
            String newText = text.substring(common);
            int newPrefixIndex = ids.size() - prefixIndex;
            List<Integer> rest = new ArrayList<>(ids.subList(prefixIndex, ids.size()));
            ids.clear();
            ids.addAll(rest);
            prefix = tokenizer.decode(toArray(ids), skipSpecialTokens);
            prefixIndex = newPrefixIndex;
            return Optional.of(newText);
        }
        return Optional.empty();
    }

    private static int commonPrefix(String a, String b) {
        int n = Math.min(a.length(), b.length());
        int i = 0;
        while (i < n && a.charAt(i) == b.charAt(i)) i++;
        return i;
    }

    private static int[] toArray(List<Integer> list) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) a[i] = list.get(i);
        return a;
    }
}
