/**
 * Reading ONNX model files (protobuf {@code ModelProto}): the graph's nodes and its initializers (the weights),
 * enough to import a network's parameters without ONNX Runtime.
 */
package dev.jllm.core.onnx;
