package dev.jllm.text.tokenizer;

/**
 * One encoded sequence of a batch.
 *
 * @param ids               token ids, padded when padding was requested
 * @param attentionMask     1 for real tokens, 0 for padding
 * @param specialTokensMask 1 for tokens added by the post-processor, added special tokens, and padding
 * @param offsets           {@code [start0, end0, start1, end1, ...]}: each token's range in the input string in
 *                          UTF-16 units ({@code (0, 0)} for added special tokens and padding), or null when not
 *                          requested
 */
public record Encoding(int[] ids, int[] attentionMask, int[] specialTokensMask, int[] offsets) {

    public int length() {
        return ids.length;
    }

    /** Start offset of token i (requires offsets). */
    public int start(int i) {
        return offsets[2 * i];
    }

    /** End offset (exclusive) of token i (requires offsets). */
    public int end(int i) {
        return offsets[2 * i + 1];
    }
}
