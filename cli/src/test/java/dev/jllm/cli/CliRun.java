package dev.jllm.cli;

import picocli.CommandLine;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

/** One in-process run of the {@code jllm} command line with its output captured, as every CLI test needs it. */
record CliRun(int code, String out, String err) {

    static CliRun run(String... args) {
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /**
     * A run whose standard input is {@code stdin} (null: left alone). Commands read {@code System.in} as it was when
     * they were constructed, so it is swapped around the construction and the run.
     */
    static CliRun runWithInput(String stdin, String... args) {
        if (stdin == null) return run(args);
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return run(args);
        } finally {
            System.setIn(saved);
        }
    }
}
