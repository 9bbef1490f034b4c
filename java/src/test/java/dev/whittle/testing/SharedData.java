package dev.whittle.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the shared test data lives ({@code ../shared} beside the repository, or the system
 * property {@code whittle.shared}, or the environment variable {@code WHITTLE_SHARED}).
 * Tests that need it skip, with a message naming the path, when it is absent.
 */
public final class SharedData {
    private SharedData() {
    }

    public static Path root() {
        String p = System.getProperty("whittle.shared");
        if (p == null || p.isBlank()) {
            p = System.getenv("WHITTLE_SHARED");
        }
        if (p == null || p.isBlank()) {
            p = "../../shared";
        }
        return Paths.get(p).toAbsolutePath().normalize();
    }

    public static boolean available() {
        return Files.isDirectory(root().resolve("models"));
    }

    /** Skips the calling test when the shared folder is missing. */
    public static void assumeAvailable() {
        Assumptions.assumeTrue(available(), "shared data not found at " + root()
                + " (set -Dwhittle.shared=PATH); skipping");
    }

    public static Path model(String name) {
        assumeAvailable();
        Path p = root().resolve("models").resolve(name);
        Assumptions.assumeTrue(Files.exists(p), "shared model " + p + " not found; skipping");
        return p;
    }

    public static Path image(String name) {
        assumeAvailable();
        Path p = root().resolve("images").resolve(name);
        Assumptions.assumeTrue(Files.exists(p), "shared image " + p + " not found; skipping");
        return p;
    }

    /** Every {@code .tflite} in the shared models folder, sorted by name. */
    public static List<Path> allModels() {
        assumeAvailable();
        try (Stream<Path> s = Files.list(root().resolve("models"))) {
            return s.filter(f -> f.toString().endsWith(".tflite")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
