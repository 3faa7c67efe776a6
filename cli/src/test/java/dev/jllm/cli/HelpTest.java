package dev.jllm.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Enumerates every command and option, so a new command cannot ship without help or an undocumented option. */
class HelpTest {
    private static void collect(CommandLine cli, List<CommandLine> out) {
        out.add(cli);
        for (CommandLine sub : cli.getSubcommands().values()) {
            if (!(sub.getCommand() instanceof CommandLine.HelpCommand)) collect(sub, out);
        }
    }

    @Test
    void everyCommandHasHelpAndEveryOptionADescription() {
        List<CommandLine> all = new ArrayList<>();
        collect(Main.newCommandLine(), all);
        assertTrue(all.size() > 15, "expected the whole command tree, got " + all.size());
        for (CommandLine cmd : all) {
            String name = cmd.getCommandSpec().qualifiedName();
            assertTrue(cmd.getCommandSpec().mixinStandardHelpOptions(), name + " lacks --help");
            for (CommandLine.Model.OptionSpec opt : cmd.getCommandSpec().options()) {
                String desc = String.join(" ", opt.description()).trim();
                assertFalse(desc.isEmpty(), name + " " + opt.longestName() + " has no description");
            }
            StringWriter text = new StringWriter();
            cmd.usage(new PrintWriter(text));
            assertTrue(text.toString().startsWith("Usage: " + name), name + ": " + text);
        }
    }

    @Test
    void helpOptionWorksOnSubcommands() {
        CommandLine cli = Main.newCommandLine();
        StringWriter out = new StringWriter();
        cli.setOut(new PrintWriter(out));
        for (String sub : List.of("quickstart", "finetune", "merge", "tokenize", "generate")) {
            out.getBuffer().setLength(0);
            assertEquals(0, cli.execute(sub, "--help"), sub);
            assertTrue(out.toString().contains("Usage: jllm " + sub), sub + ": " + out);
        }
    }
}
