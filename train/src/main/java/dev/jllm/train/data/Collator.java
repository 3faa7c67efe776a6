package dev.jllm.train.data;

import dev.jllm.train.loss.CausalLmLoss;

import java.util.List;

/**
 * Right-pads examples to the longest one of the micro-batch. Padding gets {@code padTokenId}, mask 0 and label
 * -100. Default labels copy the inputs where the mask is 1: masking by position rather than by token id keeps a
 * real EOS trainable even when pad and EOS share an id.
 *
 * <p>Packed rows ({@link Example#seqLengths()}) are collated padding-free, as TRL's
 * {@code DataCollatorForLanguageModeling(padding_free=True)} does: the micro-batch's rows are concatenated into one
 * row, the position ids restart at 0 with every packed sequence, the label of every sequence's first token is -100
 * (so no sequence is trained to predict the start of the next one), and the attention mask numbers the sequences so
 * that none attends to another.
 */
public final class Collator {
    private final int padTokenId;

    public Collator(int padTokenId) {
        this.padTokenId = padTokenId;
    }

    public Batch collate(List<Example> examples) {
        int packed = 0;
        for (Example e : examples) if (e.seqLengths() != null) packed++;
        if (packed == examples.size()) return paddingFree(examples);
        if (packed > 0) throw new IllegalArgumentException("a micro-batch mixes packed and unpacked rows");
        int rows = examples.size();
        int len = 0;
        for (Example e : examples) len = Math.max(len, e.length());
        int[] ids = new int[rows * len], mask = new int[rows * len], labels = new int[rows * len];
        java.util.Arrays.fill(ids, padTokenId);
        java.util.Arrays.fill(labels, CausalLmLoss.IGNORE);
        for (int b = 0; b < rows; b++) {
            Example e = examples.get(b);
            int o = b * len;
            for (int t = 0; t < e.length(); t++) {
                int m = e.attentionMask() == null ? 1 : e.attentionMask()[t];
                ids[o + t] = e.inputIds()[t];
                mask[o + t] = m;
                labels[o + t] = e.labels() != null ? e.labels()[t] : (m == 1 ? e.inputIds()[t] : CausalLmLoss.IGNORE);
            }
        }
        return new Batch(rows, len, ids, mask, labels);
    }

    private static Batch paddingFree(List<Example> examples) {
        int n = 0;
        for (Example e : examples) n += e.length();
        int[] ids = new int[n], segment = new int[n], labels = new int[n], positions = new int[n];
        int at = 0, seq = 0;
        for (Example e : examples) {
            int from = 0;
            for (int len : e.seqLengths()) {
                seq++;
                for (int t = 0; t < len; t++) {
                    int src = from + t;
                    ids[at] = e.inputIds()[src];
                    labels[at] = t == 0 ? CausalLmLoss.IGNORE : e.labels() != null ? e.labels()[src] : e.inputIds()[src];
                    positions[at] = t;
                    segment[at] = seq;
                    at++;
                }
                from += len;
            }
        }
        return new Batch(1, n, ids, segment, labels, positions);
    }
}
