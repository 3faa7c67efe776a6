package dev.jllm.eval.report;

import dev.jllm.core.JllmException;
import dev.jllm.eval.task.EvalRun;
import dev.jllm.eval.task.ExampleResult;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One HTML file with no external resources (inline CSS and SVG, no script): the runs' settings, a metrics table
 * (with the change from the first run when there are several: "before/after"), one bar chart per metric, and
 * every example with each run's output and scores in a collapsible row. Runs are matched by example id.
 */
public final class HtmlReport {
    private static final String[] COLORS = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948"};

    private HtmlReport() {
    }

    public static void write(List<EvalRun> runs, Path file) {
        String html = render(runs);
        try {
            Path abs = file.toAbsolutePath();
            if (abs.getParent() != null) Files.createDirectories(abs.getParent());
            Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
            Files.writeString(tmp, html, StandardCharsets.UTF_8);
            Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new JllmException(file + ": cannot write the report: " + e.getMessage(), e);
        }
    }

    public static String render(List<EvalRun> runs) {
        if (runs.isEmpty()) throw new JllmException("a report needs at least one run");
        List<String> labels = labels(runs);
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>jllm eval: ")
                .append(esc(runs.getFirst().task())).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px;color:#222}")
                .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}")
                .append("th{background:#f3f3f3}td.num{text-align:right;font-variant-numeric:tabular-nums}")
                .append(".up{color:#1a7f37}.down{color:#cf222e}pre{white-space:pre-wrap;margin:0;max-width:1100px}")
                .append("details{margin:0}summary{cursor:pointer}.charts{display:flex;flex-wrap:wrap;gap:1.5em}")
                .append(".chart h3{font-size:1em;margin:.3em 0}.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.3em}")
                .append("</style></head><body>\n");
        h.append("<h1>Evaluation: ").append(esc(runs.getFirst().task())).append("</h1>\n");
        h.append("<table><tr><th>run</th><th>model</th><th>adapter</th><th>examples</th><th>started</th><th>seconds</th><th>settings</th></tr>\n");
        for (int r = 0; r < runs.size(); r++) {
            EvalRun run = runs.get(r);
            h.append("<tr><td><span class=\"swatch\" style=\"background:").append(COLORS[r % COLORS.length]).append("\"></span>")
                    .append(esc(labels.get(r))).append("</td><td>").append(esc(run.model())).append("</td><td>")
                    .append(esc(run.adapter() == null ? "—" : run.adapter())).append("</td><td class=\"num\">").append(run.examples().size())
                    .append("</td><td>").append(esc(run.startedAt())).append("</td><td class=\"num\">")
                    .append(String.format(Locale.ROOT, "%.1f", run.seconds())).append("</td><td><pre>")
                    .append(esc(settings(run.settings()))).append("</pre></td></tr>\n");
        }
        h.append("</table>\n");

        Set<String> metrics = new LinkedHashSet<>();
        for (EvalRun run : runs) metrics.addAll(run.metrics().keySet());
        h.append("<h2>Metrics</h2>\n<table><tr><th>metric</th>");
        for (String l : labels) h.append("<th>").append(esc(l)).append("</th>");
        if (runs.size() > 1) h.append("<th>change (last − first)</th>");
        h.append("</tr>\n");
        for (String m : metrics) {
            h.append("<tr><td>").append(esc(m)).append("</td>");
            for (EvalRun run : runs) h.append("<td class=\"num\">").append(num(run.metrics().get(m))).append("</td>");
            if (runs.size() > 1) {
                Double a = runs.getFirst().metrics().get(m), b = runs.getLast().metrics().get(m);
                h.append("<td class=\"num\">").append(delta(m, a, b)).append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n<h2>Charts</h2>\n<div class=\"charts\">\n");
        for (String m : metrics) h.append(chart(m, runs));
        h.append("</div>\n");

        h.append("<h2>Examples</h2>\n<p>Click a row to see the prompt, the references and each run's output.</p>\n");
        Map<String, List<ExampleResult>> byId = new LinkedHashMap<>();
        for (int r = 0; r < runs.size(); r++) {
            for (ExampleResult e : runs.get(r).examples()) {
                List<ExampleResult> row = byId.computeIfAbsent(e.id(), k -> new ArrayList<>(java.util.Collections.nCopies(runs.size(), null)));
                row.set(r, e);
            }
        }
        Set<String> exampleMetrics = new LinkedHashSet<>();
        for (EvalRun run : runs) for (ExampleResult e : run.examples()) exampleMetrics.addAll(e.scores().keySet());
        h.append("<table><tr><th>example</th>");
        for (String l : labels) h.append("<th>").append(esc(l)).append("</th>");
        h.append("</tr>\n");
        for (var entry : byId.entrySet()) {
            List<ExampleResult> row = entry.getValue();
            ExampleResult any = row.stream().filter(java.util.Objects::nonNull).findFirst().orElseThrow();
            h.append("<tr><td colspan=\"").append(runs.size() + 1).append("\"><details><summary><b>").append(esc(entry.getKey()))
                    .append("</b> ");
            for (int r = 0; r < runs.size(); r++) {
                ExampleResult e = row.get(r);
                h.append(" <span class=\"swatch\" style=\"background:").append(COLORS[r % COLORS.length]).append("\"></span>")
                        .append(e == null ? "—" : esc(brief(e.scores())));
            }
            h.append("</summary>\n<table><tr><th>prompt</th><td><pre>").append(esc(any.prompt())).append("</pre></td></tr>\n");
            for (String ref : any.references()) h.append("<tr><th>reference</th><td><pre>").append(esc(ref)).append("</pre></td></tr>\n");
            for (int r = 0; r < runs.size(); r++) {
                ExampleResult e = row.get(r);
                if (e == null) continue;
                for (String p : e.predictions()) {
                    h.append("<tr><th>").append(esc(labels.get(r))).append("</th><td><pre>").append(esc(p)).append("</pre></td></tr>\n");
                }
                h.append("<tr><th>").append(esc(labels.get(r))).append(" scores</th><td>");
                for (String m : exampleMetrics) if (e.scores().containsKey(m)) h.append(esc(m)).append(" = ").append(num(e.scores().get(m))).append("; ");
                h.append("</td></tr>\n");
                if (!e.details().isEmpty()) {
                    h.append("<tr><th>").append(esc(labels.get(r))).append(" details</th><td><pre>").append(esc(String.valueOf(e.details())))
                            .append("</pre></td></tr>\n");
                }
            }
            h.append("</table></details></td></tr>\n");
        }
        h.append("</table>\n<p>Written by jllm eval.</p></body></html>\n");
        return h.toString();
    }

    /** Labels that tell runs apart: the adapter or model folder name, numbered when they clash. */
    static List<String> labels(List<EvalRun> runs) {
        List<String> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < runs.size(); i++) {
            String l = runs.get(i).label();
            if (!seen.add(l)) l = l + " #" + (i + 1);
            out.add(l);
        }
        return out;
    }

    private static String chart(String metric, List<EvalRun> runs) {
        double max = 0;
        for (EvalRun r : runs) {
            Double v = r.metrics().get(metric);
            if (v != null && Double.isFinite(v)) max = Math.max(max, Math.abs(v));
        }
        if (max == 0) max = 1;
        int barH = 22, width = 320, labelW = 0;
        int height = runs.size() * (barH + 6) + 6;
        StringBuilder s = new StringBuilder("<div class=\"chart\"><h3>").append(esc(metric)).append("</h3><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"")
                .append(width + 90).append("\" height=\"").append(height).append("\" role=\"img\" aria-label=\"").append(esc(metric)).append("\">");
        for (int i = 0; i < runs.size(); i++) {
            Double v = runs.get(i).metrics().get(metric);
            double w = v == null || !Double.isFinite(v) ? 0 : Math.abs(v) / max * width;
            int y = 6 + i * (barH + 6);
            s.append("<rect x=\"").append(labelW).append("\" y=\"").append(y).append("\" width=\"").append(String.format(Locale.ROOT, "%.1f", w))
                    .append("\" height=\"").append(barH).append("\" fill=\"").append(COLORS[i % COLORS.length]).append("\"/>")
                    .append("<text x=\"").append(String.format(Locale.ROOT, "%.1f", labelW + w + 4)).append("\" y=\"").append(y + barH - 6)
                    .append("\" font-size=\"12\">").append(num(v)).append("</text>");
        }
        return s.append("</svg></div>\n").toString();
    }

    private static String settings(Map<String, Object> s) {
        StringBuilder b = new StringBuilder();
        s.forEach((k, v) -> {
            if (!k.equals("template")) b.append(k).append(": ").append(v).append('\n');
        });
        return b.toString().strip();
    }

    private static String brief(Map<String, Double> scores) {
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (var e : scores.entrySet()) {
            if (n++ == 3) break;
            b.append(e.getKey()).append(' ').append(num(e.getValue())).append("  ");
        }
        return b.toString().strip();
    }

    private static String delta(String metric, Double a, Double b) {
        if (a == null || b == null || !Double.isFinite(a) || !Double.isFinite(b)) return "—";
        double d = b - a;
        // Lower perplexity is better; every other metric here is better when higher.
        boolean better = metric.contains("perplexity") ? d < 0 : d > 0;
        String cls = d == 0 ? "" : better ? "up" : "down";
        return "<span class=\"" + cls + "\">" + (d > 0 ? "+" : "") + num(d) + "</span>";
    }

    static String num(Double v) {
        if (v == null) return "—";
        if (Double.isNaN(v)) return "NaN";
        if (v == Math.rint(v) && Math.abs(v) < 1e9) return String.valueOf(v.longValue());
        return String.format(Locale.ROOT, "%.4f", v);
    }

    static String esc(String s) {
        if (s == null) return "";
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
