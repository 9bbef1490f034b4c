package dev.whittle;

import dev.whittle.CpuFeatures.Feature;
import dev.whittle.internal.nativelib.NativeLibrary;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java mirrors of the C ABI constants cannot drift from the headers: parses
 * {@code native/include/whittle/*.h} from the source tree (the tests run in {@code java/}).
 */
class NativeHeaderConsistencyTest {

    private static final Path INCLUDE = Path.of("..", "native", "include", "whittle");

    private static String read(String header) throws IOException {
        Path file = INCLUDE.resolve(header);
        assertTrue(Files.isRegularFile(file), "missing " + file.toAbsolutePath().normalize());
        return Files.readString(file);
    }

    @Test
    void featureBitsMatchCpuHeader() throws IOException {
        Pattern define = Pattern.compile(
                "^#define\\s+WHITTLE_CPU_(\\w+)\\s+\\(UINT64_C\\(1\\)\\s*<<\\s*(\\d+)\\)", Pattern.MULTILINE);
        Map<String, Integer> c = new TreeMap<>();
        Matcher m = define.matcher(read("cpu.h"));
        while (m.find()) {
            c.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        Map<String, Integer> java = new TreeMap<>();
        for (Feature f : Feature.values()) {
            java.put(f.name(), f.bit());
        }
        assertTrue(c.size() >= 11, "parsed too few WHITTLE_CPU_* definitions: " + c);
        assertEquals(c, java, "cpu.h and CpuFeatures.Feature disagree");
    }

    @Test
    void abiVersionMatchesHeader() throws IOException {
        Matcher m = Pattern.compile("^#define\\s+WHITTLE_ABI_VERSION\\s+(\\d+)\\s*$", Pattern.MULTILINE)
                .matcher(read("whittle.h"));
        assertTrue(m.find(), "WHITTLE_ABI_VERSION not found in whittle.h");
        assertEquals(Integer.parseInt(m.group(1)), NativeLibrary.ABI_VERSION);
    }
}
