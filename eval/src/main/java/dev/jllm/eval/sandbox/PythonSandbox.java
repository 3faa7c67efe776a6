package dev.jllm.eval.sandbox;

import dev.jllm.core.JllmException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs a Python program in a confined child process. Confinement, from the outside in:
 * <ul>
 *   <li>{@code unshare --net --pid --fork --kill-child}: a new network namespace with only a downed loopback (no
 *       network at all) and a new PID namespace, so when the sandbox is killed every process it forked dies with it;
 *       as a non-root user {@code --map-root-user} is added so that unprivileged namespaces can be made;</li>
 *   <li>as root, {@code setpriv} drops to user/group 65534 (nobody): the kernel does not enforce the process limit
 *       for root, and nobody cannot delete or write the files of other users;</li>
 *   <li>{@code ulimit}: address space ({@code -v}), processes of the user ({@code -u}, stops fork bombs), CPU seconds
 *       ({@code -t}), size of files written ({@code -f});</li>
 *   <li>a fresh temporary working folder (deleted afterwards), {@code python3 -I} (isolated: no user site, no
 *       environment variables), an emptied environment, and a wall-clock timeout after which the whole tree is
 *       killed.</li>
 * </ul>
 * Where {@code unshare} is missing or refused (no user namespaces), {@link #create} fails unless
 * {@code allowUnisolated} is set, in which case the program runs with the limits but <b>with</b> network access,
 * and {@link #isolation()} says so.
 */
public final class PythonSandbox {

    public record Limits(Duration timeout, long memoryBytes, int maxProcesses, long maxFileBytes, int cpuSeconds) {
        public static Limits defaults() {
            return new Limits(Duration.ofSeconds(10), 2L << 30, 64, 16L << 20, 10);
        }
    }

    public enum Status { PASSED, FAILED, TIMEOUT }

    /** How a run ended; {@code output} is the tail of stdout+stderr (at most 4 KiB). */
    public record Result(Status status, int exitCode, String output, long millis) {
        public boolean passed() {
            return status == Status.PASSED;
        }
    }

    private static final int OUTPUT_LIMIT = 4096;

    private final String python;
    private final Limits limits;
    private final List<String> prefix;
    private final String isolation;

    private PythonSandbox(String python, Limits limits, List<String> prefix, String isolation) {
        this.python = python;
        this.limits = limits;
        this.prefix = prefix;
        this.isolation = isolation;
    }

    /** Probes the isolation this machine allows with a trivial program. */
    public static PythonSandbox create(Limits limits, boolean allowUnisolated) {
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        boolean root = "root".equals(System.getProperty("user.name"));
        List<String> ns = new ArrayList<>(List.of("unshare", "--net", "--pid", "--fork", "--kill-child"));
        if (!root) ns.add(1, "--map-root-user");
        if (root) ns.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"));
        PythonSandbox isolated = new PythonSandbox(python, limits, ns,
                "network namespace (no network), PID namespace" + (root ? ", user nobody" : ", unprivileged user"));
        String probe;
        try {
            Result r = isolated.run("print('ok')");
            probe = r.passed() && r.output().contains("ok") ? null : r.output();
        } catch (JllmException e) {
            probe = e.getMessage();
        }
        if (probe == null) return isolated;
        if (!allowUnisolated) {
            throw new JllmException("cannot isolate generated code (unshare --net failed: " + probe.strip()
                    + "); allow unisolated execution explicitly to run it with resource limits only");
        }
        return new PythonSandbox(python, limits, List.of(), "NOT isolated from the network (unshare unavailable); resource limits only");
    }

    public String isolation() {
        return isolation;
    }

    public Limits limits() {
        return limits;
    }

    /** Runs {@code program} as {@code main.py} in a fresh temporary folder; exit code 0 is a pass. */
    public Result run(String program) {
        Path dir = null;
        long start = System.nanoTime();
        try {
            dir = Files.createTempDirectory("jllm-sandbox-");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
            Path main = dir.resolve("main.py");
            Files.writeString(main, program, StandardCharsets.UTF_8);
            Files.setPosixFilePermissions(main, PosixFilePermissions.fromString("rw-r--r--"));
            String ulimits = "ulimit -v " + (limits.memoryBytes() / 1024) + " && ulimit -u " + limits.maxProcesses()
                    + " && ulimit -t " + limits.cpuSeconds() + " && ulimit -f " + Math.max(1, limits.maxFileBytes() / 1024)
                    + " && exec " + python + " -I -B main.py";
            List<String> cmd = new ArrayList<>(prefix);
            cmd.addAll(List.of("/bin/bash", "-c", ulimits));
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/bin:/bin");
            pb.environment().put("HOME", dir.toString());
            pb.environment().put("TMPDIR", dir.toString());
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> tail(p.getInputStream()));
            boolean done = p.waitFor(limits.timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
            String output = out.get(5, TimeUnit.SECONDS);
            long ms = (System.nanoTime() - start) / 1_000_000;
            if (!done) return new Result(Status.TIMEOUT, -1, output, ms);
            return new Result(p.exitValue() == 0 ? Status.PASSED : Status.FAILED, p.exitValue(), output, ms);
        } catch (IOException e) {
            throw new JllmException("cannot start the sandboxed Python process: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JllmException("interrupted while waiting for the sandboxed process", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return new Result(Status.FAILED, -1, "(output unreadable: " + e + ")", (System.nanoTime() - start) / 1_000_000);
        } finally {
            if (dir != null) deleteTree(dir);
        }
    }

    private static String tail(InputStream in) {
        try (in) {
            byte[] buf = new byte[8192];
            byte[] ring = new byte[OUTPUT_LIMIT];
            long total = 0;
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) ring[(int) ((total + i) % OUTPUT_LIMIT)] = buf[i];
                total += n;
            }
            int len = (int) Math.min(total, OUTPUT_LIMIT);
            byte[] out = new byte[len];
            for (int i = 0; i < len; i++) out[i] = ring[(int) ((total - len + i) % OUTPUT_LIMIT)];
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // A file the sandboxed program left unreadable; the temp folder is left for the OS to clean.
                }
            });
        } catch (IOException ignored) {
            // Nothing to clean.
        }
    }
}
