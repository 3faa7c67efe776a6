/**
 * LLM-as-a-judge: pairwise comparison judged in both orders (inconsistent verdicts are ties), pointwise rubric
 * scoring, reference-guided grading and safety flagging, with overridable prompt templates and verdict parsing
 * that never fails on malformed judge output.
 */
package dev.jllm.eval.judge;
