/**
 * ROUGE exactly as google-research's rouge_score (rougeN, rougeL, newline-split rougeLsum, the default tokenizer with
 * NLTK's Porter stemmer) and its BootstrapAggregator, reproducing numpy's seeded resampling.
 */
package dev.jllm.eval.rouge;
