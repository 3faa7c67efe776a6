/**
 * Ground-truth benchmarks: tasks (built-in GSM8K, HumanEval, Lamini Q&A, or any JSON Lines file), prompt templates
 * with zero or few shots, the runner that generates (in concurrent batches, with a progress bar) and scores, and
 * multiple choice by log-likelihood as lm-evaluation-harness computes acc and acc_norm.
 */
package dev.jllm.eval.task;
