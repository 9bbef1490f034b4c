package dev.whittle.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared model folder for the benchmarks.
 *
 * <p>The order is the one the tests use, plus {@code ../shared}: JMH is usually started from the
 * repository root ({@code java -jar bench/target/benchmarks.jar}), where the shared folder sits
 * one level up, while Maven runs from a module folder, two levels down from it. A missing
 * folder fails the trial with the path that was tried: a benchmark that silently measures
 * nothing would be worse than one that stops.
 */
final class SharedModels {
    /** System property that names the shared data folder (the one holding {@code models/}). */
    static final String PROPERTY = "whittle.shared";
    /** Environment variable consulted when the property is not set. */
    static final String ENV = "WHITTLE_SHARED";

    private SharedModels() {
    }

    /** The shared data folder, or an exception that says where it was looked for. */
    static Path root() {
        String p = System.getProperty(PROPERTY);
        if (p == null || p.isBlank()) {
            p = System.getenv(ENV);
        }
        if (p != null && !p.isBlank()) {
            Path explicit = Path.of(p).toAbsolutePath().normalize();
            if (!Files.isDirectory(explicit.resolve("models"))) {
                throw new IllegalStateException("no models/ folder in " + explicit
                        + " (from -D" + PROPERTY + " or $" + ENV + ")");
            }
            return explicit;
        }
        Path one = Path.of("../shared").toAbsolutePath().normalize();
        Path two = Path.of("../../shared").toAbsolutePath().normalize();
        for (Path candidate : new Path[] {one, two}) {
            if (Files.isDirectory(candidate.resolve("models"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared data not found: no models/ folder in " + one + " or " + two
                + "; pass -D" + PROPERTY + "=PATH (or set $" + ENV + ") to the folder that holds models/");
    }

    /** The bytes of {@code models/<name>} in the shared folder. */
    static byte[] read(String name) {
        Path file = root().resolve("models").resolve(name);
        if (!Files.isRegularFile(file)) {
            throw new IllegalStateException("shared model not found: " + file
                    + " (shared folder from -D" + PROPERTY + ", $" + ENV + ", ../shared or ../../shared)");
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
