package dev.jllm.text.chat;

import dev.jllm.text.tokenizer.Encoding;
import dev.jllm.text.tokenizer.Tokenizer;

import java.util.function.Function;

/**
 * Turns rendered chat text into token ids for {@code tokenize=true}. The text already contains the template's
 * special tokens (e.g. a leading {@code <s>}), so an encoder must NOT add special tokens of its own — that is what
 * transformers does ({@code add_special_tokens=False}) and what avoids a duplicated BOS.
 */
public interface ChatEncoder {

    /** Token ids of {@code text}, without added special tokens. */
    int[] encode(String text);

    /**
     * Token ids with each token's character span in {@code text} (UTF-16 indexes), needed for
     * {@code return_assistant_tokens_mask}. The default refuses: an ids-only encoder cannot map characters to tokens.
     */
    default Encoded encodeWithOffsets(String text) {
        throw new UnsupportedOperationException("this encoder gives no character offsets, which the assistant tokens mask needs");
    }

    /** Ids with their character spans: token {@code i} covers {@code [starts[i], ends[i])}. */
    record Encoded(int[] ids, int[] starts, int[] ends) {
        public Encoded {
            if (starts.length != ids.length || ends.length != ids.length) {
                throw new IllegalArgumentException("ids, starts and ends must have the same length");
            }
        }
    }

    /** An encoder from a function that already encodes without special tokens. */
    static ChatEncoder of(Function<String, int[]> encodeWithoutSpecialTokens) {
        return encodeWithoutSpecialTokens::apply;
    }

    /**
     * A model's tokenizer as a chat encoder: encodes without special tokens (the template already wrote them), with
     * character offsets for the assistant tokens mask.
     */
    static ChatEncoder of(Tokenizer tokenizer) {
        return new ChatEncoder() {
            @Override
            public int[] encode(String text) {
                return tokenizer.encode(text, false);
            }

            @Override
            public Encoded encodeWithOffsets(String text) {
                Encoding e = tokenizer.encodeWithOffsets(text, false);
                int[] starts = new int[e.length()], ends = new int[e.length()];
                for (int i = 0; i < e.length(); i++) {
                    starts[i] = e.start(i);
                    ends[i] = e.end(i);
                }
                return new Encoded(e.ids(), starts, ends);
            }
        };
    }

    /** An encoder that also maps characters to tokens. */
    static ChatEncoder withOffsets(Function<String, Encoded> encodeWithoutSpecialTokens) {
        return new ChatEncoder() {
            @Override
            public int[] encode(String text) {
                return encodeWithoutSpecialTokens.apply(text).ids();
            }

            @Override
            public Encoded encodeWithOffsets(String text) {
                return encodeWithoutSpecialTokens.apply(text);
            }
        };
    }
}
