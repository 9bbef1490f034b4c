package dev.whittle.internal.nativelib;

import dev.whittle.CpuFeatures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.FunctionDescriptor;
import java.lang.invoke.MethodHandle;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Loading libwhittle. Every test builds its own instance through
 * {@link NativeLibrary#load(java.util.function.Function)} with explicit properties, so none
 * depends on system properties or on the process-wide instance.
 */
class NativeLibraryTest {

    private static final String RESOURCE =
            NativeLibrary.resourceName(System.getProperty("os.name"), System.getProperty("os.arch"));

    /** Skips (not fails) in a Java-only build: no cmake/c++, or -Dwhittle.native.skip=true. */
    private static URL requireBuiltLibrary() {
        URL url = NativeLibrary.class.getResource("/" + RESOURCE);
        assumeTrue(url != null, "native library not built (no " + RESOURCE
                + " on the classpath: Java-only build without cmake/c++ or with -Dwhittle.native.skip=true)");
        return url;
    }

    private static NativeLibrary loadBundled() {
        return NativeLibrary.load(Map.<String, String>of()::get);
    }

    @Test
    void bundledLibraryLoadsWithMatchingAbi() throws Throwable {
        requireBuiltLibrary();
        NativeLibrary library = loadBundled();
        assertTrue(library.isAvailable(), () -> library.unavailableReason().orElse(""));
        assertTrue(library.unavailableReason().isEmpty());
        MethodHandle version = library.downcall("whittle_abi_version", FunctionDescriptor.of(JAVA_INT)).orElseThrow();
        assertEquals(NativeLibrary.ABI_VERSION, (int) version.invokeExact());
    }

    @Test
    void cpuFeaturesIsCallableAndUsesOnlyKnownBits() throws Throwable {
        requireBuiltLibrary();
        NativeLibrary library = loadBundled();
        MethodHandle probe = library.downcall("whittle_cpu_features", FunctionDescriptor.of(JAVA_LONG)).orElseThrow();
        long mask = (long) probe.invokeExact();
        assertEquals(mask, CpuFeatures.fromMask(mask).mask(), "probe set a bit that cpu.h does not define");
        assertEquals(mask, (long) probe.invokeExact(), "the probe must be deterministic");
    }

    @Test
    void buildInfoNamesCompilerAndIsas() {
        requireBuiltLibrary();
        String info = loadBundled().buildInfo().orElseThrow();
        assertTrue(info.contains("compiler="), info);
        assertTrue(info.contains("isas="), info);
    }

    @Test
    void missingSymbolIsEmpty() {
        requireBuiltLibrary();
        NativeLibrary library = loadBundled();
        assertTrue(library.lookup("whittle_no_such_symbol").isEmpty());
        assertTrue(library.downcall("whittle_no_such_symbol", FunctionDescriptor.ofVoid()).isEmpty());
    }

    @Test
    void onlyTheCAbiIsExported() {
        requireBuiltLibrary();
        // cpu.cc's helpers live in an anonymous namespace and the library is built with
        // hidden visibility: its mangled internal names must not be visible.
        NativeLibrary library = loadBundled();
        assertTrue(library.lookup("whittle_cpu_features").isPresent());
        assertTrue(library.lookup("_ZN12_GLOBAL__N_15probeEv").isEmpty());
    }

    @Test
    void explicitPathWins() throws URISyntaxException {
        URL url = requireBuiltLibrary();
        assumeTrue(url.getProtocol().equals("file"), "library resource is inside a jar");
        Path file = Path.of(url.toURI());
        NativeLibrary library = NativeLibrary.load(Map.of(NativeLibrary.LIBRARY_PROPERTY, file.toString())::get);
        assertTrue(library.isAvailable(), () -> library.unavailableReason().orElse(""));
        assertEquals(file.toString(), library.origin().orElseThrow());
    }

    @Test
    void abiMismatchIsUnavailableWithReason() {
        requireBuiltLibrary();
        NativeLibrary library = NativeLibrary.load(Map.<String, String>of()::get, NativeLibrary.ABI_VERSION + 1000);
        assertFalse(library.isAvailable());
        String reason = library.unavailableReason().orElseThrow();
        assertTrue(reason.contains("ABI version " + NativeLibrary.ABI_VERSION), reason);
        assertTrue(reason.contains("expects " + (NativeLibrary.ABI_VERSION + 1000)), reason);
        assertTrue(library.lookup("whittle_cpu_features").isEmpty(), "a mismatched library must not be used");
    }

    @Test
    void disabledByProperty() {
        NativeLibrary library = NativeLibrary.load(Map.of(NativeLibrary.DISABLE_PROPERTY, "true")::get);
        assertFalse(library.isAvailable());
        assertTrue(library.unavailableReason().orElseThrow().contains(NativeLibrary.DISABLE_PROPERTY));
        assertTrue(library.lookup("whittle_abi_version").isEmpty());
        assertTrue(library.buildInfo().isEmpty());
        assertTrue(library.origin().isEmpty());
    }

    @Test
    void explicitPathThatDoesNotExist(@TempDir Path dir) {
        Path missing = dir.resolve("libwhittle-missing.so");
        NativeLibrary library = NativeLibrary.load(Map.of(NativeLibrary.LIBRARY_PROPERTY, missing.toString())::get);
        assertFalse(library.isAvailable());
        assertTrue(library.unavailableReason().orElseThrow().contains(missing.toString()));
    }

    @Test
    void explicitPathToAnotherLibrary() {
        // A real shared library that is not Whittle's: the JDK's own libjava, already mapped
        // into this process, so loading it again has no side effects.
        Path other = Path.of(System.getProperty("java.home"), "lib", System.mapLibraryName("java"));
        assumeTrue(Files.isRegularFile(other), "no " + other);
        NativeLibrary library = NativeLibrary.load(Map.of(NativeLibrary.LIBRARY_PROPERTY, other.toString())::get);
        assertFalse(library.isAvailable());
        String reason = library.unavailableReason().orElseThrow();
        assertTrue(reason.contains("not a Whittle library"), reason);
        assertTrue(reason.contains(NativeLibrary.LIBRARY_PROPERTY), "the reason must name the fix: " + reason);
    }

    @Test
    void platformNamesMatchTheBuildScript() {
        assertEquals("linux-x86_64", NativeLibrary.platform("Linux", "amd64"));
        assertEquals("linux-x86_64", NativeLibrary.platform("Linux", "x86_64"));
        assertEquals("linux-aarch64", NativeLibrary.platform("Linux", "aarch64"));
        assertEquals("macos-aarch64", NativeLibrary.platform("Mac OS X", "aarch64"));
        assertEquals("windows-x86_64", NativeLibrary.platform("Windows 11", "amd64"));
    }
}
