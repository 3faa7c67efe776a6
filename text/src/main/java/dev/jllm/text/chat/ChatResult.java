package dev.jllm.text.chat;

/**
 * The rendered conversation; {@code inputIds} when tokenized, {@code assistantMask} (one 0/1 per token) when the
 * assistant tokens mask was asked for; otherwise those are null.
 */
public record ChatResult(String text, int[] inputIds, int[] assistantMask) {}
