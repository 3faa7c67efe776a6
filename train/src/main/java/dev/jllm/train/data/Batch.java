package dev.jllm.train.data;

/**
 * One micro-batch, right-padded to a common length: row-major {@code [rows, seqLen]} token ids, attention mask
 * (1 real, 0 padding) and labels aligned with the inputs (-100 where no loss is taken; the loss shifts them).
 *
 * <p>A padding-free batch of packed sequences (TRL's {@code padding_free}) numbers its sequences in the attention
 * mask instead: 1, 2, 3, ... for the tokens of the first, second, third sequence of a row, and a token attends only to
 * earlier tokens with its own number (FlashAttention's variable-length, block-diagonal attention); its
 * {@code positionIds} restart at 0 with every sequence.
 *
 * @param positionIds the rotary position of each token, or null for {@code 0..seqLen-1} in every row
 */
public record Batch(int rows, int seqLen, int[] inputIds, int[] attentionMask, int[] labels, int[] positionIds) {
    public Batch {
        int n = rows * seqLen;
        if (rows <= 0 || seqLen <= 0) throw new IllegalArgumentException("empty batch " + rows + "x" + seqLen);
        if (inputIds.length != n || attentionMask.length != n || labels.length != n) {
            throw new IllegalArgumentException("batch " + rows + "x" + seqLen + ": arrays of " + inputIds.length + ", "
                    + attentionMask.length + ", " + labels.length + " elements");
        }
        if (positionIds != null && positionIds.length != n) throw new IllegalArgumentException("batch " + rows + "x" + seqLen + ": " + positionIds.length + " position ids");
    }

    public Batch(int rows, int seqLen, int[] inputIds, int[] attentionMask, int[] labels) {
        this(rows, seqLen, inputIds, attentionMask, labels, null);
    }

    /** Builds a batch from per-row arrays that already share one length. */
    public static Batch of(int[][] inputIds, int[][] attentionMask, int[][] labels) {
        int rows = inputIds.length;
        int seqLen = inputIds[0].length;
        int[] ids = new int[rows * seqLen], mask = new int[rows * seqLen], lab = new int[rows * seqLen];
        for (int b = 0; b < rows; b++) {
            if (inputIds[b].length != seqLen || attentionMask[b].length != seqLen || labels[b].length != seqLen) {
                throw new IllegalArgumentException("row " + b + " is not " + seqLen + " long in all of input_ids, attention_mask, labels");
            }
            System.arraycopy(inputIds[b], 0, ids, b * seqLen, seqLen);
            System.arraycopy(attentionMask[b], 0, mask, b * seqLen, seqLen);
            System.arraycopy(labels[b], 0, lab, b * seqLen, seqLen);
        }
        return new Batch(rows, seqLen, ids, mask, lab);
    }

    /** The rotary position of token {@code i} (row-major index). */
    public int position(int i) {
        return positionIds != null ? positionIds[i] : i % seqLen;
    }

    /** Shifted labels ≠ -100: this batch's share of {@code num_items_in_batch}. */
    public int labelCount() {
        return dev.jllm.train.loss.CausalLmLoss.countItems(labels, rows, seqLen);
    }
}
