/** HumanEval: problems, programs assembled as OpenAI's human-eval assembles them, sandboxed checking, pass@k. */
package dev.jllm.eval.humaneval;
