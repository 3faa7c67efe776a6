package dev.jllm.train;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * transformers' notebook progress bar as one text line redrawn in place: {@code [ 5/79 00:10 < 02:30, 0.49 it/s,
 * Epoch 0.05/1]} while running and {@code [79/79 16:28, Epoch 1/1]} when done. Times are {@code mm:ss}, or
 * {@code h:mm:ss} from one hour, as transformers' {@code format_time} writes them; the ETA extrapolates the mean
 * step time so far.
 */
public final class ProgressBar {
    private final PrintWriter out;
    private final LongSupplier nanoClock;
    private final long start;
    private final int total;
    private final int epochs;
    private int lastWidth;
    private int firstStep = -1;

    public ProgressBar(PrintWriter out, int total, int epochs, LongSupplier nanoClock) {
        this.out = out;
        this.total = total;
        this.epochs = epochs;
        this.nanoClock = nanoClock;
        this.start = nanoClock.getAsLong();
    }

    /**
     * Whether standard error is a terminal. Java has no isatty for one stream; on Linux the descriptor's link names
     * the device, and a pseudo-terminal or console is what a person watches.
     */
    public static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (Exception e) {
            return false;
        }
    }

    /** {@code seconds} as transformers formats durations. */
    public static String formatTime(double seconds) {
        long t = (long) seconds;
        long h = t / 3600, m = t / 60 % 60, s = t % 60;
        return h != 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%02d:%02d", m, s);
    }

    /** The bar's text after {@code done} steps and {@code elapsed} seconds, at fractional epoch {@code epoch}. */
    public static String render(int done, int total, double elapsed, double epoch, int epochs) {
        return render(done, 0, total, elapsed, epoch, epochs);
    }

    /** As above, for a run that started at step {@code first} (a resumed run): rate and ETA count this run's steps. */
    public static String render(int done, int first, int total, double elapsed, double epoch, int epochs) {
        String count = String.format(Locale.ROOT, "%" + Integer.toString(total).length() + "d/%d", done, total);
        if (done >= total) {
            return String.format(Locale.ROOT, "[%s %s, Epoch %s/%d]", count, formatTime(elapsed), epochText(epoch), epochs);
        }
        int ran = done - first;
        String eta = ran <= 0 ? "??:??" : formatTime(elapsed / ran * (total - done));
        String rate = ran <= 0 || elapsed <= 0 ? "" : String.format(Locale.ROOT, ", %.2f it/s", ran / elapsed);
        return String.format(Locale.ROOT, "[%s %s < %s%s, Epoch %s/%d]", count, formatTime(elapsed), eta, rate, epochText(epoch), epochs);
    }

    private static String epochText(double epoch) {
        return epoch == Math.rint(epoch) ? Long.toString((long) epoch) : String.format(Locale.ROOT, "%.2f", epoch);
    }

    public void update(int done, double epoch) {
        if (firstStep < 0) firstStep = done;
        String text = render(done, firstStep, total, (nanoClock.getAsLong() - start) / 1e9, epoch, epochs);
        // pad over a longer previous line so no stale characters remain after the carriage return
        out.print("\r" + text + " ".repeat(Math.max(0, lastWidth - text.length())));
        lastWidth = text.length();
        if (done >= total) {
            out.println();
            lastWidth = 0;
        }
        out.flush();
    }

    /** Blanks the line, so that a table row printed next to it starts clean; the next update redraws the bar. */
    public void clear() {
        if (lastWidth == 0) return;
        out.print("\r" + " ".repeat(lastWidth) + "\r");
        out.flush();
        lastWidth = 0;
    }
}
