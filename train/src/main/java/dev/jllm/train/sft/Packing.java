package dev.jllm.train.sft;

import dev.jllm.core.JllmException;
import dev.jllm.train.data.Example;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * TRL's {@code pack_dataset} ({@code SFTConfig.packing} with {@code packing_strategy}): tokenized rows are combined
 * into rows of at most {@code max_length} tokens. As {@code datasets.map(batched=True)} runs it, rows are packed
 * {@value #MAP_BATCH} at a time, never across those groups.
 * <ul>
 * <li>{@code bfd} (the default): best-fit decreasing. Rows are cut to {@code max_length}, sorted by length (longest
 * first, ties in file order) and each goes into the open bin whose free space is the smallest that still holds it
 * (the oldest such bin on ties), or a new bin. A bin keeps its sequences whole and records their lengths; it is
 * trained padding-free: every sequence attends only to itself and its positions restart at 0.</li>
 * <li>{@code bfd_split}: as {@code bfd}, but a row longer than {@code max_length} is split into pieces of
 * {@code max_length} (the last one shorter), each packed as a sequence of its own, instead of losing its tail.</li>
 * <li>{@code wrapped}: the rows are concatenated and cut into blocks of {@code max_length} (the last one shorter),
 * ignoring row boundaries; blocks are ordinary rows (attention across the former boundaries, positions 0..n-1).</li>
 * </ul>
 * Only the ids and labels travel (TRL keeps {@code input_ids} and the completion / assistant masks that the labels
 * already hold here); an attention mask is dropped, so padding inside a pre-tokenized row becomes ordinary tokens,
 * as in TRL.
 */
public final class Packing {
    /** {@code datasets.Dataset.map}'s default {@code batch_size}: TRL packs each batch of rows on its own. */
    public static final int MAP_BATCH = 1000;

    private Packing() {}

    public enum Strategy {
        BFD("bfd"), BFD_SPLIT("bfd_split"), WRAPPED("wrapped");

        private final String pythonName;

        Strategy(String pythonName) {
            this.pythonName = pythonName;
        }

        public String pythonName() {
            return pythonName;
        }

        public static Strategy parse(String name) {
            for (Strategy s : values()) if (s.pythonName.equals(name)) return s;
            throw new JllmException("packing_strategy '" + name + "': expected bfd, bfd_split or wrapped");
        }
    }

    /** Packs {@code rows} into rows of at most {@code seqLength} tokens. */
    public static List<Example> pack(List<Example> rows, int seqLength, Strategy strategy) {
        if (seqLength < 1) throw new JllmException("packing needs max_length >= 1, got " + seqLength);
        var out = new ArrayList<Example>();
        for (int i = 0; i < rows.size(); i += MAP_BATCH) {
            List<Example> group = rows.subList(i, Math.min(rows.size(), i + MAP_BATCH));
            out.addAll(strategy == Strategy.WRAPPED ? wrapped(group, seqLength) : bestFitDecreasing(group, seqLength, strategy == Strategy.BFD_SPLIT));
        }
        return out;
    }

    /** The labels of a row, default labels (every token) when it has none. */
    private static int[] labels(Example e) {
        return e.labels() != null ? e.labels() : e.inputIds();
    }

    private static List<Example> wrapped(List<Example> rows, int seqLength) {
        int n = 0;
        for (Example e : rows) n += e.length();
        int[] ids = new int[n], labels = new int[n];
        int at = 0;
        for (Example e : rows) {
            System.arraycopy(e.inputIds(), 0, ids, at, e.length());
            System.arraycopy(labels(e), 0, labels, at, e.length());
            at += e.length();
        }
        var out = new ArrayList<Example>();
        for (int from = 0; from < n; from += seqLength) {
            int to = Math.min(n, from + seqLength);
            out.add(new Example(Arrays.copyOfRange(ids, from, to), Arrays.copyOfRange(labels, from, to), null));
        }
        return out;
    }

    private record Piece(int[] ids, int[] labels, int order) {}

    private static final class Bin {
        final List<Piece> pieces = new ArrayList<>();
        int length;
    }

    private static List<Example> bestFitDecreasing(List<Example> rows, int seqLength, boolean split) {
        var pieces = new ArrayList<Piece>();
        for (Example e : rows) {
            int[] ids = e.inputIds(), labels = labels(e);
            if (!split) {
                int len = Math.min(ids.length, seqLength);
                pieces.add(new Piece(Arrays.copyOf(ids, len), Arrays.copyOf(labels, len), pieces.size()));
                continue;
            }
            for (int from = 0; from < ids.length; from += seqLength) {
                int to = Math.min(ids.length, from + seqLength);
                pieces.add(new Piece(Arrays.copyOfRange(ids, from, to), Arrays.copyOfRange(labels, from, to), pieces.size()));
            }
        }
        // longest first; equal lengths keep their order (a stable sort, as Arrow's)
        pieces.sort(Comparator.comparingInt((Piece p) -> -p.ids().length).thenComparingInt(Piece::order));
        var bins = new ArrayList<Bin>();
        // free space -> bins with exactly that much free space, oldest first (full bins are dropped)
        var bySpace = new TreeMap<Integer, ArrayDeque<Bin>>();
        for (Piece p : pieces) {
            int len = p.ids().length;
            var fit = bySpace.ceilingEntry(len);
            Bin bin;
            if (fit != null) {
                bin = fit.getValue().pollFirst();
                if (fit.getValue().isEmpty()) bySpace.remove(fit.getKey());
            } else {
                bin = new Bin();
                bins.add(bin);
            }
            bin.pieces.add(p);
            bin.length += len;
            int space = seqLength - bin.length;
            if (space > 0) bySpace.computeIfAbsent(space, k -> new ArrayDeque<>()).addLast(bin);
        }
        var out = new ArrayList<Example>();
        for (Bin bin : bins) {
            int[] ids = new int[bin.length], labels = new int[bin.length], lengths = new int[bin.pieces.size()];
            int at = 0;
            for (int k = 0; k < bin.pieces.size(); k++) {
                Piece p = bin.pieces.get(k);
                System.arraycopy(p.ids(), 0, ids, at, p.ids().length);
                System.arraycopy(p.labels(), 0, labels, at, p.ids().length);
                lengths[k] = p.ids().length;
                at += p.ids().length;
            }
            out.add(new Example(ids, labels, null, lengths));
        }
        return out;
    }
}
