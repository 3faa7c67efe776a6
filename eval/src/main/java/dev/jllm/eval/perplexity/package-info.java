/**
 * Perplexity of a causal language model on texts, as Hugging Face's {@code evaluate} perplexity metric computes it
 * (per-text perplexity over the whole text, mean of the per-text values), and the sliding-window recipe of
 * transformers' "Perplexity of fixed-length models" guide for texts longer than the model's context.
 */
package dev.jllm.eval.perplexity;
