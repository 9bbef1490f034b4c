package dev.whittle.tflite;

import dev.whittle.TensorData;
import dev.whittle.model.DemoModels;
import dev.whittle.model.io.ModelWriter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The ISA cap of TFLite's kernels ({@code bench --tflite-isa avx2}). Capping changes the whole
 * process for good, so the cap itself runs in a child JVM ({@link Child}); here only what
 * changes nothing.
 */
class TfliteCpuFeaturesTest {

    private static boolean x86Linux() {
        String arch = System.getProperty("os.arch");
        return (arch.equals("amd64") || arch.equals("x86_64")) && System.getProperty("os.name").startsWith("Linux");
    }

    @Test
    void unknownCapIsRefusedBeforeAnythingChanges() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TfliteCpuFeatures.limitTo("avx512"));
        assertTrue(e.getMessage().contains("avx512") && e.getMessage().contains("avx2"), e.getMessage());
        TfliteCpuFeatures.limitTo("native"); // no cap: a no-op in any order
        assertEquals("native", TfliteCpuFeatures.limit());
    }

    @Test
    void capInAFreshProcessClearsAvx512AndTfliteStillRuns() throws Exception {
        assumeTrue(x86Linux(), "the TFLite ISA cap is for x86-64 Linux; skipping");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                Child.class.getName()).redirectErrorStream(true);
        Process p = pb.start();
        String out;
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM did not finish");
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } finally {
            p.destroyForcibly();
        }
        assertEquals(0, p.exitValue(), out);
        String before = line(out, "before: ");
        String after = line(out, "after: ");
        // AVX2 itself stays; nothing newer does.
        assertEquals(before.contains("avx2"), after.contains("avx2"), out);
        assertFalse(after.contains("avx512"), out);
        assertTrue(after.contains("sse4_2"), out);
        assertTrue(out.contains("limit: avx2"), out);
        assertTrue(out.contains("ran: 10 outputs"), out);
        assertTrue(out.contains("late cap refused: IllegalStateException"), out);
    }

    private static String line(String out, String prefix) {
        for (String l : out.split("\n")) {
            if (l.startsWith(prefix)) {
                return l.substring(prefix.length());
            }
        }
        throw new AssertionError("no '" + prefix + "' line in the child's output:\n" + out);
    }

    /** Runs in a child JVM: cap, report the flags, run a model, try to cap again. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            System.out.println("before: " + TfliteCpuFeatures.describe());
            TfliteCpuFeatures.limitTo("avx2");
            System.out.println("after: " + TfliteCpuFeatures.describe());
            System.out.println("limit: " + TfliteCpuFeatures.limit());
            byte[] model = ModelWriter.toBytes(DemoModels.smallCnn(42));
            try (TfliteInterpreter t = TfliteInterpreter.create(model, TfliteOptions.defaults())) {
                TensorInfo info = t.inputInfo(0);
                ByteBuffer in = ByteBuffer.allocate(Math.toIntExact(info.bytes()));
                TensorData out = t.run(List.of(new TensorData(info.type(), info.shape(), in))).get(0);
                System.out.println("ran: " + out.elementCount() + " outputs");
            }
            try {
                TfliteCpuFeatures.limitTo("avx2");
                System.out.println("late cap accepted");
            } catch (IllegalStateException e) {
                System.out.println("late cap refused: IllegalStateException");
            }
        }
    }
}
