package dev.jllm.text.tokenizer;

/**
 * One encoded sequence of a batch.
 *
 * @param ids               token ids, padded when padding was requested
 * @param attentionMask     1 for real tokens, 0 for padding
 * @param specialTokensMask 1 for tokens the post-processor adds and for padding (special tokens typed in the text
 *                          count as 0, as in HF)
 * @param offsets           {@code [start0, end0, start1, end1, ...]}: each token's range in the input string in
 *                          UTF-16 units, so {@code text.substring(start, end)} works ({@code (0, 0)} for tokens the
 *                          post-processor adds and for padding), or null when not requested. Hugging Face (Python)
 *                          counts code points instead; the two agree unless the text has characters outside the BMP
 *                          (emoji): see {@link #codePointOffsets}
 */
public record Encoding(int[] ids, int[] attentionMask, int[] specialTokensMask, int[] offsets) {

    public int length() {
        return ids.length;
    }

    /** The offsets counted in code points, as transformers' {@code return_offsets_mapping} reports them. */
    public int[] codePointOffsets(String text) {
        int[] out = new int[offsets.length];
        for (int i = 0; i < offsets.length; i++) out[i] = text.codePointCount(0, Math.min(offsets[i], text.length()));
        return out;
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
