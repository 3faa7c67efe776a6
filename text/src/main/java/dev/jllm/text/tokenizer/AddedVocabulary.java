package dev.jllm.text.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds added tokens in text, leftmost first and longest at a position (HF's Aho-Corasick leftmost-longest), with
 * the {@code single_word}, {@code lstrip} and {@code rstrip} rules.
 */
final class AddedVocabulary {
    private final AddedToken[][] byFirstChar = new AddedToken[65536][];
    private final boolean empty;

    AddedVocabulary(List<AddedToken> tokens) {
        Map<Character, List<AddedToken>> groups = new HashMap<>();
        for (AddedToken t : tokens) {
            if (t.content().isEmpty()) continue;
            groups.computeIfAbsent(t.content().charAt(0), c -> new ArrayList<>()).add(t);
        }
        groups.forEach((c, list) -> {
            list.sort(Comparator.comparingInt((AddedToken t) -> t.content().length()).reversed());
            byFirstChar[c] = list.toArray(AddedToken[]::new);
        });
        empty = groups.isEmpty();
    }

    boolean isEmpty() {
        return empty;
    }

    /** One cut of the text: either an added token (token != null) or plain text, over [start, end). */
    record Piece(int start, int end, AddedToken token) {}

    /** Splits text[from, to) into added tokens and the plain text between them. */
    List<Piece> split(String text, int from, int to) {
        List<Piece> out = new ArrayList<>();
        if (empty) {
            if (from < to) out.add(new Piece(from, to, null));
            return out;
        }
        int plainStart = from;
        int i = from;
        while (i < to) {
            AddedToken[] candidates = byFirstChar[text.charAt(i)];
            AddedToken match = null;
            if (candidates != null) {
                for (AddedToken t : candidates) {
                    if (i + t.content().length() <= to && text.startsWith(t.content(), i)) {
                        match = t;
                        break;
                    }
                }
            }
            if (match == null) {
                i++;
                continue;
            }
            int start = i, end = i + match.content().length();
            if (match.singleWord() && !(isBoundary(text, start - 1, from, to) && isBoundary(text, end, from, to))) {
                i = end; // the automaton resumes after a rejected match, it does not retry shorter ones
                continue;
            }
            if (match.lstrip()) {
                while (start > plainStart && Chars.isWhitespace(text.charAt(start - 1))) start--;
            }
            if (match.rstrip()) {
                while (end < to && Chars.isWhitespace(text.charAt(end))) end++;
            }
            if (start > plainStart) out.add(new Piece(plainStart, start, null));
            out.add(new Piece(start, end, match));
            plainStart = end;
            i = end;
        }
        if (plainStart < to) out.add(new Piece(plainStart, to, null));
        return out;
    }

    private static boolean isBoundary(String text, int index, int from, int to) {
        if (index < from || index >= to) return true;
        char c = text.charAt(index);
        return !(Chars.isAlphanumeric(c) || c == '_');
    }
}
