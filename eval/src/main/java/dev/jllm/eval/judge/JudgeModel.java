package dev.jllm.eval.judge;

/** Anything that answers a judge prompt with text: a jllm model, or a scripted fake in tests. */
@FunctionalInterface
public interface JudgeModel {
    String complete(String prompt);
}
