package dev.jllm.model;

import dev.jllm.core.gguf.GgmlType;
import dev.jllm.model.synth.RandomModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Decode logits do not depend on how far the JVM has compiled the kernels: a child JVM that only interprets
 * ({@code -Xint}, where the Vector API runs its Java fallback) prints the same bits as this warm JVM. Before the
 * kernels summed their lanes in a fixed order, two runs of {@code jllm logits} on the same input could differ.
 */
class JitTierDeterminismTest {
    @TempDir
    Path tmp;

    private static final int[] IDS = {1, 17, 200, 45, 3};

    @Test
    void interpretedAndCompiledDecodeGiveTheSameBits() throws Exception {
        // columns of 256 so every type below runs its vector kernel; one layer, GQA 4/2 (small: -Xint runs the Vector
        // API's Java fallback, a few seconds per type)
        RandomModel.Shape shape = new RandomModel.Shape(256, 256, 256, 1, 4, 2, 64);
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K}) {
            Path gguf = tmp.resolve(type + ".gguf");
            RandomModel.writeGguf(gguf, shape, type, 5);
            String warm = null;
            try (Model m = Model.load(gguf)) {
                for (int round = 0; round < 300; round++) warm = decodeBits(m);  // enough calls for C2 to compile the kernels
            }
            assertEquals(warm, interpreted(gguf), type + ": -Xint logits differ from the compiled ones");
        }
    }

    /** One-token decode steps over {@link #IDS}: every step's logits as float bits, one line per step. */
    static String decodeBits(Model m) {
        StringJoiner out = new StringJoiner("\n");
        Model.Session s = m.newSession(IDS.length);
        for (int id : IDS) {
            float[] logits = s.append(new int[] {id});
            StringJoiner line = new StringJoiner(" ");
            for (float v : logits) line.add(Integer.toHexString(Float.floatToRawIntBits(v)));
            out.add(line.toString());
        }
        return out.toString();
    }

    private static String interpreted(Path gguf) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Xint", "-cp", System.getProperty("java.class.path"),
                Child.class.getName(), gguf.toString()));
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        byte[] stdout = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child JVM finished");
        assertEquals(0, p.exitValue(), "child JVM exit status; command " + cmd);
        return new String(stdout, StandardCharsets.UTF_8).strip();
    }

    /** The child JVM's entry point. */
    static final class Child {
        public static void main(String[] args) {
            try (Model m = Model.load(Path.of(args[0]))) {
                System.out.print(decodeBits(m));
            }
            System.out.flush();
        }
    }
}
