package dev.whittle.runtime;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the NEON vector tests ({@link NeonGemmVectorsTest}, {@link NeonDepthwiseVectorsTest},
 * {@link NeonFormatVectorsTest}) share: finding the repository, skipping (or, with
 * {@code -Dwhittle.aarch64.require=true}, failing) without the aarch64 cross compiler, qemu or
 * cmake, and replaying vector files through {@code cmake/test-aarch64.sh}, which cross-builds
 * libwhittle and runs every case under {@code qemu-aarch64 -cpu max}.
 */
final class AArch64Replay {
    private static final String CROSS_CXX = "aarch64-linux-gnu-g++";

    private AArch64Replay() {
    }

    /** The checkout's root: the first folder above the working directory with {@code cmake/test-aarch64.sh}. */
    static Path root() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("cmake/test-aarch64.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IOException("no cmake/test-aarch64.sh above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }

    /** Where a test writes its vector file {@code name}. */
    static Path vectors(String name) throws IOException {
        return root().resolve("java/target/neon-vectors").resolve(name);
    }

    /** Aborts the test ({@code what} not tested) when a tool is missing; fails instead when it is required. */
    static void assumeToolchain(String what) {
        String missing = !onPath(CROSS_CXX) ? CROSS_CXX + " (apt-get install g++-aarch64-linux-gnu)"
                : !onPath("qemu-aarch64") ? "qemu-aarch64 (apt-get install qemu-user)"
                : !onPath("cmake") ? "cmake" : null;
        if (missing != null) {
            assertTrue(!required(), "whittle.aarch64.require is set but there is no " + missing);
            Assumptions.abort(what + " not tested: no " + missing);
        }
    }

    /**
     * Replays {@code files} (holding {@code cases} cases in all) and asserts that every case ran
     * and none differed. Prints {@code summary} with the replay's time and the script's output
     * first, so a failure's details are in the test log.
     */
    static void replay(String what, String summary, int cases, Path... files)
            throws IOException, InterruptedException {
        Path root = root();
        List<String> command = new ArrayList<>();
        command.add(root.resolve("cmake/test-aarch64.sh").toString());
        command.add(root.resolve("java/target/aarch64-build").toString());
        for (Path f : files) {
            command.add(f.toString());
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("WHITTLE_AARCH64_STRICT", "1");
        long t0 = System.nanoTime();
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES), "test-aarch64.sh timed out");
        System.out.printf("%s; cross build + qemu %.1f s%n%s", summary, (System.nanoTime() - t0) / 1e9, output);
        if (p.exitValue() == 77) {
            assertTrue(!required(), output);
            Assumptions.abort(output.strip());
        }
        assertEquals(0, p.exitValue(), what + " differ from the reference under qemu:\n" + output);
        assertTrue(output.contains("q8_gemm_vectors: " + cases + " cases"), output);
        assertTrue(output.contains(" 0 failed"), output);
    }

    /** A constant tensor's bytes as the op hands them to a kernel factory (from position 0). */
    static ByteBuffer constant(CompiledModel m, int tensor, int bytes) {
        return m.constantsView().slice(m.constantOffset(tensor), bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static boolean required() {
        return Boolean.getBoolean("whittle.aarch64.require");
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
