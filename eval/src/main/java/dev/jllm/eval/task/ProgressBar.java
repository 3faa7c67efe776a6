package dev.jllm.eval.task;

import java.io.PrintStream;

/** A one-line progress bar on a terminal stream: {@code [#####.....] 12/40 30% 3.1 s/it ETA 1:27}. */
public final class ProgressBar {
    private final PrintStream out;
    private final String label;
    private final int total;
    private final long start = System.nanoTime();
    private int lastPercent = -1;

    public ProgressBar(PrintStream out, String label, int total) {
        this.out = out;
        this.label = label;
        this.total = total;
    }

    public synchronized void update(int done) {
        if (out == null || total <= 0) return;
        int percent = (int) (100L * done / total);
        if (percent == lastPercent && done != total) return;
        lastPercent = percent;
        double elapsed = (System.nanoTime() - start) / 1e9;
        double perItem = done == 0 ? 0 : elapsed / done;
        long eta = Math.round(perItem * (total - done));
        int width = 30;
        int filled = (int) ((long) width * done / total);
        out.print("\r" + label + " [" + "#".repeat(filled) + ".".repeat(width - filled) + "] " + done + "/" + total + " "
                + percent + "% " + String.format("%.2f s/it ETA %d:%02d", perItem, eta / 60, eta % 60));
        if (done == total) out.println();
        out.flush();
    }
}
