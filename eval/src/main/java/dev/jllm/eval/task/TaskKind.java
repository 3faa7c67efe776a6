package dev.jllm.eval.task;

/** How a task is run: free generation scored against references, choice by log-likelihood, or code execution. */
public enum TaskKind { GENERATE, MULTIPLE_CHOICE, CODE }
