package dev.jllm.train.data;

/**
 * One training row: token ids, optional labels (same length; -100 where no loss is taken) and optional attention
 * mask (1 real, 0 padding). Absent labels mean "predict every real token"; an absent mask means all real.
 *
 * @param seqLengths for a row packed from several sequences (TRL's best-fit-decreasing packing), the length of each,
 *                   in order, summing to the row's length; null for a row that is one sequence. Such rows are
 *                   collated padding-free: each sequence attends only to itself and its positions restart at 0.
 */
public record Example(int[] inputIds, int[] labels, int[] attentionMask, int[] seqLengths) {
    public Example {
        if (inputIds.length == 0) throw new IllegalArgumentException("empty example");
        if (labels != null && labels.length != inputIds.length) throw new IllegalArgumentException("labels length " + labels.length + " != input_ids length " + inputIds.length);
        if (attentionMask != null && attentionMask.length != inputIds.length) {
            throw new IllegalArgumentException("attention_mask length " + attentionMask.length + " != input_ids length " + inputIds.length);
        }
        if (seqLengths != null) {
            if (attentionMask != null) throw new IllegalArgumentException("a packed row has no attention_mask (packing drops padding)");
            long sum = 0;
            for (int l : seqLengths) {
                if (l <= 0) throw new IllegalArgumentException("packed sequence length " + l + " must be positive");
                sum += l;
            }
            if (sum != inputIds.length) throw new IllegalArgumentException("packed sequence lengths sum to " + sum + ", the row has " + inputIds.length + " tokens");
        }
    }

    public Example(int[] inputIds, int[] labels, int[] attentionMask) {
        this(inputIds, labels, attentionMask, null);
    }

    public int length() {
        return inputIds.length;
    }
}
