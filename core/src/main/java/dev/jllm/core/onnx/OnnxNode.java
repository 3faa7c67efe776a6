package dev.jllm.core.onnx;

import java.util.List;
import java.util.Map;

/** A graph node: operator, input and output value names, and its int/float/ints attributes. */
public record OnnxNode(String name, String opType, List<String> inputs, List<String> outputs, Map<String, Object> attributes) {}
