/**
 * Model-based similarity with encoder models: sentence embeddings as sentence-transformers computes them (its
 * pooling config, optional normalization), cosine similarity, and BERTScore as the {@code bert_score} package
 * computes it.
 */
package dev.jllm.eval.embed;
