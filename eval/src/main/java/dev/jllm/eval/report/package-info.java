/** Self-contained HTML reports of evaluation runs: tables, bar charts, per-example drill-down, run comparison. */
package dev.jllm.eval.report;
