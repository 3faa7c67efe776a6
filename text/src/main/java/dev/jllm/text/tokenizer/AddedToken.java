package dev.jllm.text.tokenizer;

/**
 * A token added on top of the model vocabulary (tokenizer.json {@code added_tokens}). It is cut out of the text
 * before the model sees it: from the raw text when {@code normalized} is false, from the normalized text otherwise.
 *
 * @param special    skipped by {@code decode(ids, skipSpecialTokens=true)}
 * @param singleWord only matches when not inside a word
 * @param lstrip     also swallows the whitespace on its left
 * @param rstrip     also swallows the whitespace on its right
 */
public record AddedToken(int id, String content, boolean special, boolean singleWord, boolean lstrip, boolean rstrip,
                         boolean normalized) {
}
