/**
 * Ground-truth benchmark scorers: SQuAD-normalized exact match, GSM8K answer extraction and the unbiased pass@k
 * estimator.
 */
package dev.jllm.eval.bench;
