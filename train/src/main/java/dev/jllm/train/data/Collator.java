package dev.jllm.train.data;

import dev.jllm.train.loss.CausalLmLoss;

import java.util.List;

/**
 * Right-pads examples to the longest one of the micro-batch. Padding gets {@code padTokenId}, mask 0 and label
 * -100. Default labels copy the inputs where the mask is 1: masking by position rather than by token id keeps a
 * real EOS trainable even when pad and EOS share an id.
 */
public final class Collator {
    private final int padTokenId;

    public Collator(int padTokenId) {
        this.padTokenId = padTokenId;
    }

    public Batch collate(List<Example> examples) {
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
}
