package dev.jllm.eval.task;

import java.util.List;
import java.util.Map;

/** One example's prompt, references, what the model produced, its scores, and details (e.g. sandbox output). */
public record ExampleResult(String id, String prompt, List<String> references, List<String> predictions,
                            Map<String, Double> scores, Map<String, Object> details) {}
