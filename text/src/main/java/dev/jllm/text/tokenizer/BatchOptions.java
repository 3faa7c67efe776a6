package dev.jllm.text.tokenizer;

/**
 * Options of {@link Tokenizer#encodeBatch}, following transformers' tokenizer call arguments.
 *
 * @param addSpecialTokens  run the post-processor's special tokens (BOS...)
 * @param padding           none, to the longest sequence of the batch, or to {@code maxLength}
 * @param maxLength         truncation length and MAX_LENGTH padding length (counting special tokens); 0 = none
 * @param truncation        cut sequences longer than {@code maxLength}
 * @param truncationSide    which end loses tokens
 * @param paddingSide       which end receives padding; null = the tokenizer's {@code padding_side}
 * @param padToMultipleOf   round the padded length up to a multiple of this (0 = off)
 * @param returnOffsets     compute each token's character offsets
 */
public record BatchOptions(boolean addSpecialTokens, Padding padding, int maxLength, boolean truncation,
                           Side truncationSide, Side paddingSide, int padToMultipleOf, boolean returnOffsets) {

    public enum Padding { NONE, LONGEST, MAX_LENGTH }

    public enum Side {
        LEFT, RIGHT;

        /** Parses "left"/"right" (tokenizer_config.json spelling). */
        public static Side parse(String s) {
            return switch (s) {
                case "left" -> LEFT;
                case "right" -> RIGHT;
                default -> throw new IllegalArgumentException("side must be \"left\" or \"right\", got \"" + s + "\"");
            };
        }
    }

    public BatchOptions {
        if (padding == null) throw new IllegalArgumentException("padding must not be null");
        if (truncationSide == null) truncationSide = Side.RIGHT;
        if (maxLength < 0) throw new IllegalArgumentException("maxLength must be >= 0, got " + maxLength);
        if (padToMultipleOf < 0) throw new IllegalArgumentException("padToMultipleOf must be >= 0, got " + padToMultipleOf);
        if (padding == Padding.MAX_LENGTH && maxLength == 0) throw new IllegalArgumentException("padding to max length needs maxLength > 0");
        if (truncation && maxLength == 0) throw new IllegalArgumentException("truncation needs maxLength > 0");
    }

    /** Special tokens, no padding, no truncation, no offsets. */
    public static BatchOptions defaults() {
        return new BatchOptions(true, Padding.NONE, 0, false, Side.RIGHT, null, 0, false);
    }

    public BatchOptions withAddSpecialTokens(boolean v) {
        return new BatchOptions(v, padding, maxLength, truncation, truncationSide, paddingSide, padToMultipleOf, returnOffsets);
    }

    public BatchOptions withPadding(Padding v) {
        return new BatchOptions(addSpecialTokens, v, maxLength, truncation, truncationSide, paddingSide, padToMultipleOf, returnOffsets);
    }

    public BatchOptions withMaxLength(int v) {
        return new BatchOptions(addSpecialTokens, padding, v, truncation, truncationSide, paddingSide, padToMultipleOf, returnOffsets);
    }

    public BatchOptions withTruncation(boolean v, Side side) {
        return new BatchOptions(addSpecialTokens, padding, maxLength, v, side, paddingSide, padToMultipleOf, returnOffsets);
    }

    public BatchOptions withPaddingSide(Side v) {
        return new BatchOptions(addSpecialTokens, padding, maxLength, truncation, truncationSide, v, padToMultipleOf, returnOffsets);
    }

    public BatchOptions withPadToMultipleOf(int v) {
        return new BatchOptions(addSpecialTokens, padding, maxLength, truncation, truncationSide, paddingSide, v, returnOffsets);
    }

    public BatchOptions withOffsets(boolean v) {
        return new BatchOptions(addSpecialTokens, padding, maxLength, truncation, truncationSide, paddingSide, padToMultipleOf, v);
    }
}
