package dev.jllm.cli;

import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 5's resume acceptance taken literally: {@code jllm train} runs in a child JVM, is killed with SIGKILL
 * ({@link Process#destroyForcibly()}) while it writes a later checkpoint, and a second child resumes with
 * {@code --resume-from-checkpoint true}. The resumed run's JSON-lines log and final weights must equal an
 * uninterrupted run's byte for byte, and the checkpoint folder the kill left half-written must never be resumed from.
 */
class KillResumeTest {
    private static final int STEPS = 10;
    /** The kill comes once this checkpoint is complete, at the next checkpoint write that is seen in progress. */
    private static final int KILL_AFTER = 3;

    @TempDir
    Path dir;

    private List<String> trainArgs(Path out, Path log) {
        return List.of("train", "--model", Fixtures.resolve("models/stories260K-hf").toString(),
                "--dataset", Fixtures.resolve("datasets/lamini_docs.jsonl").toString(), "--text-field", "answer",
                "--max-length", "48", "--per-device-train-batch-size", "2", "--max-steps", Integer.toString(STEPS),
                "--learning-rate", "1e-3", "--seed", "7", "--logging-steps", "1", "--save-steps", "1",
                "--save-total-limit", "2", "--output-dir", out.toString(), "--log-file", log.toString());
    }

    /** The same java, class path and module flags as this test JVM, running {@code jllm}. */
    private static ProcessBuilder childJllm(List<String> args, Path output) {
        var cmd = new ArrayList<String>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (a.startsWith("--add-modules") || a.startsWith("--enable-native-access") || a.startsWith("-Xss")) cmd.add(a);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile());
    }

    private static List<String> names(Path folder, String prefix) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix)).sorted().toList();
        }
    }

    @Test
    void killedWithSigkillAndResumedLogsTheSameLossesAsAnUninterruptedRun() throws Exception {
        // the uninterrupted reference, in this JVM
        Path refOut = dir.resolve("ref");
        Path refLog = dir.resolve("ref.jsonl");
        var refErr = new StringWriter();
        var cli = Main.newCommandLine();
        cli.setOut(new PrintWriter(new StringWriter(), true));
        cli.setErr(new PrintWriter(refErr, true));
        assertEquals(0, cli.execute(trainArgs(refOut, refLog).toArray(String[]::new)), refErr::toString);
        List<String> refLines = Files.readAllLines(refLog);
        assertEquals(STEPS, refLines.size());

        // the run to kill
        Path out = dir.resolve("run");
        Path log = dir.resolve("run.jsonl");
        Process child = childJllm(trainArgs(out, log), dir.resolve("killed.txt")).start();
        boolean caughtMidWrite = false;
        try {
            Path complete = out.resolve("checkpoint-" + KILL_AFTER);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!Files.isDirectory(complete)) {
                assertTrue(child.isAlive(), () -> "the child ended before checkpoint-" + KILL_AFTER + ": " + read(dir.resolve("killed.txt")));
                assertTrue(System.nanoTime() < deadline, "no checkpoint-" + KILL_AFTER + " within 60 s");
                Thread.sleep(2);
            }
            // Spin on the folder so the kill lands while the next checkpoint is being written, when it can.
            long spinUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (child.isAlive() && System.nanoTime() < spinUntil) {
                if (!names(out, "tmp-checkpoint-").isEmpty()) {
                    caughtMidWrite = true;
                    break;
                }
                Thread.onSpinWait();
            }
        } finally {
            child.destroyForcibly();   // SIGKILL: no shutdown hook, no finally block runs in the child
            child.waitFor(30, TimeUnit.SECONDS);
        }
        assertFalse(child.isAlive());
        assertTrue(child.exitValue() != 0, "the child was meant to be killed, not to finish: " + read(dir.resolve("killed.txt")));

        List<String> checkpoints = names(out, "checkpoint-");
        assertFalse(checkpoints.isEmpty());
        for (String c : checkpoints) {
            for (String f : List.of("model.safetensors", "optimizer.safetensors", "trainer_state.json", "config.json")) {
                assertTrue(Files.isRegularFile(out.resolve(c).resolve(f)), c + " lacks " + f + ": a checkpoint-N folder must be complete");
            }
        }
        int latest = checkpoints.stream().mapToInt(c -> Integer.parseInt(c.substring("checkpoint-".length()))).max().orElseThrow();
        assertTrue(latest >= KILL_AFTER && latest < STEPS, "latest complete checkpoint " + latest);
        List<String> partial = names(out, "tmp-checkpoint-");
        if (caughtMidWrite) System.out.println("kill landed while writing " + partial + " (complete: " + checkpoints + ")");
        // every line the killed run managed to log already equals the reference (a line cut by the kill aside)
        List<String> killedLines = Files.readAllLines(log);
        for (int i = 0; i < killedLines.size() - 1; i++) assertEquals(refLines.get(i), killedLines.get(i), "killed run, log line " + (i + 1));

        // resume in a fresh child from the newest complete checkpoint
        Path resumedOutput = dir.resolve("resumed.txt");
        var args = new ArrayList<>(trainArgs(out, log));
        args.addAll(List.of("--resume-from-checkpoint", "true"));
        Process resumed = childJllm(args, resumedOutput).start();
        assertTrue(resumed.waitFor(120, TimeUnit.SECONDS), "the resumed run did not finish in 120 s");
        String said = read(resumedOutput);
        assertEquals(0, resumed.exitValue(), said);
        assertTrue(said.contains("Resuming from " + out.resolve("checkpoint-" + latest) + " at step " + latest), said);
        assertEquals(List.of(), names(out, "tmp-checkpoint-"), "the half-written folder must be cleared away");

        assertEquals(refLines, Files.readAllLines(log), "the resumed run's log must equal the uninterrupted run's");
        assertArrayEquals(Files.readAllBytes(refOut.resolve("model.safetensors")), Files.readAllBytes(out.resolve("model.safetensors")),
                "final weights");
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(no output: " + e.getMessage() + ")";
        }
    }
}
