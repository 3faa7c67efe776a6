package dev.jllm.train.data;

/**
 * One micro-batch, right-padded to a common length: row-major {@code [rows, seqLen]} token ids, attention mask
 * (1 real, 0 padding) and labels aligned with the inputs (-100 where no loss is taken; the loss shifts them).
 */
public record Batch(int rows, int seqLen, int[] inputIds, int[] attentionMask, int[] labels) {
    public Batch {
        int n = rows * seqLen;
        if (rows <= 0 || seqLen <= 0) throw new IllegalArgumentException("empty batch " + rows + "x" + seqLen);
        if (inputIds.length != n || attentionMask.length != n || labels.length != n) {
            throw new IllegalArgumentException("batch " + rows + "x" + seqLen + ": arrays of " + inputIds.length + ", "
                    + attentionMask.length + ", " + labels.length + " elements");
        }
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

    /** Shifted labels ≠ -100: this batch's share of {@code num_items_in_batch}. */
    public int labelCount() {
        return dev.jllm.train.loss.CausalLmLoss.countItems(labels, rows, seqLen);
    }
}
