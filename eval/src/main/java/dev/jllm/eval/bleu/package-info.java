/**
 * BLEU exactly as sacrebleu 2.6.0: its tokenizers ({@code 13a}, {@code intl}, {@code char}, {@code none}),
 * smoothing methods, effective order, closest-reference brevity penalty, variable reference counts and signature.
 */
package dev.jllm.eval.bleu;
