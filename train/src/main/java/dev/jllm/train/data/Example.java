package dev.jllm.train.data;

/**
 * One training row: token ids, optional labels (same length; -100 where no loss is taken) and optional attention
 * mask (1 real, 0 padding). Absent labels mean "predict every real token"; an absent mask means all real.
 */
public record Example(int[] inputIds, int[] labels, int[] attentionMask) {
    public Example {
        if (inputIds.length == 0) throw new IllegalArgumentException("empty example");
        if (labels != null && labels.length != inputIds.length) throw new IllegalArgumentException("labels length " + labels.length + " != input_ids length " + inputIds.length);
        if (attentionMask != null && attentionMask.length != inputIds.length) {
            throw new IllegalArgumentException("attention_mask length " + attentionMask.length + " != input_ids length " + inputIds.length);
        }
    }

    public int length() {
        return inputIds.length;
    }
}
