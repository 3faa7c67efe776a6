/**
 * BERT's WordPiece tokenizer as Hugging Face {@code tokenizers} runs a {@code tokenizer.json} with a
 * {@code WordPiece} model: {@code BertNormalizer}, {@code BertPreTokenizer}, greedy longest-match-first word
 * pieces, and a {@code TemplateProcessing}/{@code BertProcessing} post-processor. Encoder models (BERT,
 * MiniLM sentence embedders) use it.
 */
package dev.jllm.text.wordpiece;
