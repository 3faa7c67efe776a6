package dev.jllm.eval.task;

import java.util.List;

/**
 * A benchmark: its examples, the shots available for few-shot prompts (never among the examples), its template,
 * how it is run, and the metrics used when none are asked for. {@code stop} strings end generations (e.g. the
 * next "Question:" of a few-shot prompt).
 */
public record Task(String name, TaskKind kind, List<Example> examples, List<Example> shotPool, PromptTemplate template,
                   List<String> defaultMetrics, List<String> stop) {}
