/**
 * Running untrusted generated code (HumanEval completions) in a separate, confined process: its own temporary
 * folder, a wall-clock timeout, limits on memory, processes, CPU time and file size, no network, and an
 * unprivileged user when jllm runs as root.
 */
package dev.jllm.eval.sandbox;
