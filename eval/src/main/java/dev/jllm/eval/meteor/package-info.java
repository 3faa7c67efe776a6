/**
 * METEOR exactly as NLTK 3.8's meteor_score, with a reader for Princeton WordNet dict files that reproduces NLTK's
 * {@code synsets()} and {@code _morphy}; WordNet 3.0 ships in the extjwnl-data-wn30 artifact.
 */
package dev.jllm.eval.meteor;
