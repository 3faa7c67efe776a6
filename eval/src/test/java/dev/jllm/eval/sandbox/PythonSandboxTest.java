package dev.jllm.eval.sandbox;

import dev.jllm.eval.humaneval.HumanEval;
import dev.jllm.testkit.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile completions are contained and scored as failures; real solutions pass. */
class PythonSandboxTest {
    static PythonSandbox sandbox;
    static final HumanEval.Problem ADD = new HumanEval.Problem("t/add", "def add(a, b):\n", "    return a + b\n",
            "def check(f):\n    assert f(2, 3) == 5\n", "add");

    @BeforeAll
    static void create() {
        sandbox = PythonSandbox.create(new PythonSandbox.Limits(Duration.ofSeconds(3), 1L << 30, 32, 1 << 20, 5), false);
    }

    @Test
    void correctAndWrongCompletions() {
        assertTrue(sandbox.run(HumanEval.program(ADD, "    return a + b\n")).passed());
        PythonSandbox.Result wrong = sandbox.run(HumanEval.program(ADD, "    return a - b\n"));
        assertEquals(PythonSandbox.Status.FAILED, wrong.status());
        assertTrue(wrong.output().contains("AssertionError"), wrong.output());
        assertEquals(PythonSandbox.Status.FAILED, sandbox.run(HumanEval.program(ADD, "    return (\n")).status());
    }

    @Test
    void infiniteLoopTimesOut() {
        long t0 = System.nanoTime();
        PythonSandbox.Result r = sandbox.run(HumanEval.program(ADD, "    while True:\n        pass\n"));
        assertEquals(PythonSandbox.Status.TIMEOUT, r.status());
        assertTrue((System.nanoTime() - t0) / 1e9 < 10, "killed promptly");
    }

    @Test
    void forkBombIsContained() throws Exception {
        String bomb = "    import os\n    while True:\n        try:\n            os.fork()\n        except OSError:\n            pass\n";
        PythonSandbox.Result r = sandbox.run(HumanEval.program(ADD, bomb));
        assertFalse(r.passed());
        // Every forked process died with the sandbox's PID namespace: nothing runs as the sandbox user afterwards.
        Thread.sleep(300);
        long left = ProcessHandle.allProcesses().filter(p -> p.info().command().orElse("").contains("python3")
                && p.info().user().map(u -> u.equals("nobody")).orElse(false)).count();
        assertEquals(0, left, "sandboxed processes left running");
    }

    @Test
    void fileDeletionIsRefused(@TempDir Path dir) throws Exception {
        Path victim = dir.resolve("precious.txt");
        Files.writeString(victim, "keep me");
        String attack = "    import os, shutil\n    try:\n        os.remove(" + py(victim) + ")\n    except OSError:\n        pass\n"
                + "    shutil.rmtree(" + py(dir) + ", ignore_errors=True)\n    return a + b + 1\n";
        PythonSandbox.Result r = sandbox.run(HumanEval.program(ADD, attack));
        assertFalse(r.passed());
        assertTrue(Files.exists(victim), "the file outside the sandbox was deleted");
        assertEquals("keep me", Files.readString(victim));
    }

    @Test
    void networkIsUnreachable() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            server.setSoTimeout(200);
            String call = "    import socket\n    s = socket.create_connection(('127.0.0.1', " + server.getLocalPort() + "), timeout=2)\n"
                    + "    s.sendall(b'leak')\n    return a + b\n";
            PythonSandbox.Result r = sandbox.run(HumanEval.program(ADD, call));
            assertFalse(r.passed(), r.output());
            try {
                server.accept().close();
                throw new AssertionError("the sandboxed program reached a socket on this machine");
            } catch (SocketTimeoutException expected) {
                // Nothing connected.
            }
            PythonSandbox.Result dns = sandbox.run(HumanEval.program(ADD,
                    "    import urllib.request\n    urllib.request.urlopen('http://example.com', timeout=2)\n    return a + b\n"));
            assertFalse(dns.passed());
        }
    }

    @Test
    void memoryLimitStopsHugeAllocations() {
        PythonSandbox.Result r = sandbox.run(HumanEval.program(ADD, "    x = bytearray(4 << 30)\n    return a + b\n"));
        assertFalse(r.passed());
        assertTrue(r.output().contains("MemoryError"), r.output());
    }

    @Test
    void canonicalSolutionsPassAndPassAtK() {
        List<HumanEval.Problem> problems = HumanEval.load(Fixtures.resolve("datasets", "humaneval", "HumanEval.jsonl.gz"));
        assertEquals(164, problems.size());
        Map<String, List<String>> completions = new LinkedHashMap<>();
        for (int i = 0; i < problems.size(); i++) {
            HumanEval.Problem p = problems.get(i);
            // Every canonical solution passes inside the sandbox; the first 12 also get an empty body, which fails.
            completions.put(p.taskId(), i < 12 ? List.of(p.canonicalSolution(), "    pass\n") : List.of(p.canonicalSolution()));
        }
        HumanEval.Report report = HumanEval.evaluate(problems, completions, sandbox, List.of(1, 2), null);
        for (HumanEval.Check c : report.checks()) {
            boolean canonical = !c.completion().equals("    pass\n");
            assertEquals(canonical, c.result().passed(), c.taskId() + ": " + c.result().output());
        }
        // pass@1 over 164 problems: 152 with 1/1 and 12 with 1/2; pass@2 needs 2 samples everywhere, so it is left out.
        assertEquals((152 + 12 * 0.5) / 164, report.passAtK().get(1), 1e-12);
        assertFalse(report.passAtK().containsKey(2));
    }

    private static String py(Path p) {
        return "'" + p.toAbsolutePath().toString().replace("\\", "\\\\").replace("'", "\\'") + "'";
    }
}
