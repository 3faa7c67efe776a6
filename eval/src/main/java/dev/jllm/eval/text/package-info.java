/**
 * Text helpers the reference metrics depend on: Python's whitespace and length semantics, and NLTK 3.8's Porter
 * stemmer (NLTK_EXTENSIONS mode).
 */
package dev.jllm.eval.text;
