package dev.jllm.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Locates the conformance fixtures. The root comes from the system property {@code jllm.fixtures}
 * (default {@code ../shared}); a relative path is resolved against the project root ({@code jllm.root},
 * which the build sets), because Surefire runs each module's tests from the module's own folder.
 */
public final class Fixtures {
    private Fixtures() {}

    /** The fixture root; fails with a clear message when it does not exist, so a conformance run cannot pass empty. */
    public static Path root() {
        String configured = System.getProperty("jllm.fixtures", "../shared");
        Path path = Path.of(configured);
        if (!path.isAbsolute()) {
            String projectRoot = System.getProperty("jllm.root");
            path = (projectRoot != null ? Path.of(projectRoot) : Path.of("")).resolve(path);
        }
        path = path.toAbsolutePath().normalize();
        if (!Files.isDirectory(path)) {
            throw new IllegalStateException("conformance fixtures not found at " + path
                    + " (set -Djllm.fixtures=DIR to the folder laid out like ../shared)");
        }
        return path;
    }

    /** {@code root().resolve(first, more...)}. */
    public static Path resolve(String first, String... more) {
        return root().resolve(Path.of(first, more));
    }

    /** Every entry directly under {@code dir} that satisfies the filter, sorted by name; empty when dir is absent. */
    public static List<Path> list(Path dir, java.util.function.Predicate<Path> filter) {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return new ArrayList<>(s.filter(filter).sorted().toList());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The non-blank lines of a JSON Lines file. */
    public static List<String> jsonLines(Path file) {
        try (Stream<String> lines = Files.lines(file)) {
            return lines.filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
