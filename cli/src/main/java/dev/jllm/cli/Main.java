package dev.jllm.cli;

import dev.jllm.core.JllmException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.IOException;
import java.io.UncheckedIOException;

/** The {@code jllm} command. Each subcommand lives in its own class in this package. */
@Command(name = "jllm",
        mixinStandardHelpOptions = true,
        version = "jllm 0.1.0",
        description = "A pure-Java toolkit for large language models.",
        subcommands = {
                CommandLine.HelpCommand.class,
                MetricCommand.class,
                EvalCommand.class,
                JudgeCommand.class,
                GenerateCommand.class,
                LogitsCommand.class,
                ConvertCommand.class,
                BenchCommand.class,
                QloraBenchCommand.class,
                ChatCommand.class,
                QuantizeCommand.class,
                TemplateCommand.class,
                TokenizeCommand.class,
                TokenizerTrainCommand.class,
                TrainCommand.class,
                PretrainCommand.class,
                FinetuneCommand.class,
                QuickstartCommand.class,
                MergeCommand.class,
        })
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code: 0 success, 1 failure reported by a command, 2 usage or input error. */
    public static int execute(String... args) {
        CommandLine cli = newCommandLine();
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // the command's data is unreachable once the error has unwound its stack, so reporting it is safe
            cli.getErr().printf("error: out of memory (%s; the JVM's heap limit is %d MiB): give it more, e.g."
                    + " JLLM_JAVA_OPTS=-Xmx%dg ./jllm %s ...%n", e.getMessage(), Runtime.getRuntime().maxMemory() >> 20,
                    Math.max(2, 2 * (Runtime.getRuntime().maxMemory() >> 30)), args.length > 0 ? args[0] : "");
            cli.getErr().flush();
            return 1;
        }
    }

    static CommandLine newCommandLine() {
        CommandLine cli = new CommandLine(new Main());
        showDefaults(cli);
        cli.setExecutionExceptionHandler((ex, cmd, parseResult) -> {
            Throwable cause = ex;
            if (cause instanceof UncheckedIOException u) cause = u.getCause();
            if (cause instanceof JllmException || cause instanceof IOException || cause instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + describe(cause));
                return 2;
            }
            cmd.getErr().println("internal error: " + describe(cause));
            if (System.getenv("JLLM_DEBUG") != null) cause.printStackTrace(cmd.getErr());
            else cmd.getErr().println("(set JLLM_DEBUG=1 to print the stack trace)");
            return 1;
        });
        return cli;
    }

    private static String describe(Throwable t) {
        if (t instanceof java.nio.file.NoSuchFileException e) return "no such file: " + e.getFile();
        if (t instanceof java.nio.file.AccessDeniedException e) return "access denied: " + e.getFile();
        return t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
    }

    /**
     * Every command accepts {@code --help}/{@code --version} and its help shows each option's default, so no command
     * has to remember to ask for either.
     */
    private static void showDefaults(CommandLine cli) {
        cli.getCommandSpec().usageMessage().showDefaultValues(true);
        if (!(cli.getCommand() instanceof CommandLine.HelpCommand)) cli.getCommandSpec().mixinStandardHelpOptions(true);
        for (CommandLine sub : cli.getSubcommands().values()) showDefaults(sub);
    }
}
