package dev.whittle.internal.nativelib;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Whittle's own native library, {@code libwhittle}, loaded through {@code java.lang.foreign}.
 *
 * <p>{@link #get()} loads it once, lazily and thread-safely, from the first of:
 * <ol>
 *   <li>the file named by {@value #LIBRARY_PROPERTY} (for a library built elsewhere);</li>
 *   <li>the classpath resource {@code native/<os>-<arch>/libwhittle.so} (put there by the
 *       Maven build), copied to a temporary file that is deleted on exit, since the dynamic
 *       loader cannot map a file inside a jar.</li>
 * </ol>
 * {@value #DISABLE_PROPERTY}{@code =true} skips both. When the library is missing, cannot be
 * loaded, or was built for another {@link #ABI_VERSION}, {@link #isAvailable()} is false,
 * {@link #unavailableReason()} says why and how to fix it, one log line says the same, and
 * callers run their Java path. No method here throws because the library is absent.
 *
 * <p>Internal API: the public surface is {@link dev.whittle.CpuFeatures} and the kernels
 * that use this class.
 */
public final class NativeLibrary {
    /** Must equal {@code WHITTLE_ABI_VERSION} in {@code native/include/whittle/whittle.h}. */
    public static final int ABI_VERSION = 1;
    /** System property: path of a {@code libwhittle} to load instead of the bundled one. */
    public static final String LIBRARY_PROPERTY = "whittle.native.lib";
    /** System property: {@code true} forces the Java path (tests of the fallback, debugging). */
    public static final String DISABLE_PROPERTY = "whittle.native.disable";

    private static final System.Logger LOG = System.getLogger(NativeLibrary.class.getName());
    private static final String FIX_BUILD = "build Whittle with cmake and a C++ compiler installed"
            + " (mvn package runs cmake/build-native.sh) or set -D" + LIBRARY_PROPERTY
            + "=/path/to/" + System.mapLibraryName("whittle");

    private final SymbolLookup symbols;
    private final String origin;
    private final String unavailableReason;
    private final boolean disabled;

    private NativeLibrary(SymbolLookup symbols, String origin, String unavailableReason, boolean disabled) {
        this.symbols = symbols;
        this.origin = origin;
        this.unavailableReason = unavailableReason;
        this.disabled = disabled;
    }

    private static final class Shared {
        static final NativeLibrary INSTANCE = loadShared();
    }

    /** The process-wide library, loaded on first call; logs one line if it is unavailable. */
    public static NativeLibrary get() {
        return Shared.INSTANCE;
    }

    private static NativeLibrary loadShared() {
        NativeLibrary library = load(System::getProperty);
        if (library.isAvailable()) {
            LOG.log(System.Logger.Level.DEBUG, "whittle: loaded native library {0}", library.origin);
        } else {
            // Disabling on purpose is not a problem; anything else costs the user speed.
            LOG.log(library.disabled ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
                    "whittle: " + library.unavailableReason);
        }
        return library;
    }

    /**
     * Loads a fresh instance, reading the two system properties through {@code properties}
     * instead of {@link System#getProperty}, and logging nothing. For tests and tools that
     * must not depend on (or change) the process-wide instance.
     */
    public static NativeLibrary load(Function<String, String> properties) {
        return load(properties, ABI_VERSION);
    }

    static NativeLibrary load(Function<String, String> properties, int expectedAbi) {
        Objects.requireNonNull(properties, "properties");
        if (Boolean.parseBoolean(properties.apply(DISABLE_PROPERTY))) {
            return unavailable("native library disabled by -D" + DISABLE_PROPERTY
                    + "=true; running the Java path", true);
        }
        String explicit = properties.apply(LIBRARY_PROPERTY);
        Path file;
        boolean extracted = false;
        if (explicit != null && !explicit.isBlank()) {
            file = Path.of(explicit);
            if (!Files.isRegularFile(file)) {
                return unavailable("-D" + LIBRARY_PROPERTY + "=" + explicit
                        + " is not a file; running the Java path. Fix: point it at a built "
                        + System.mapLibraryName("whittle") + " or remove it to use the bundled one", false);
            }
        } else {
            String resource = resourceName(System.getProperty("os.name"), System.getProperty("os.arch"));
            try (InputStream in = NativeLibrary.class.getResourceAsStream("/" + resource)) {
                if (in == null) {
                    return unavailable("no native library for this platform on the classpath ("
                            + resource + "); running the Java path. Fix: " + FIX_BUILD, false);
                }
                file = Files.createTempFile("whittle-", "-" + System.mapLibraryName("whittle"));
                file.toFile().deleteOnExit();
                Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                extracted = true;
            } catch (IOException e) {
                return unavailable("cannot copy the bundled native library to java.io.tmpdir ("
                        + e + "); running the Java path. Fix: make java.io.tmpdir writable or set -D"
                        + LIBRARY_PROPERTY + "=/path/to/" + System.mapLibraryName("whittle"), false);
            }
        }
        return open(file, extracted, expectedAbi);
    }

    private static NativeLibrary open(Path file, boolean extracted, int expectedAbi) {
        SymbolLookup symbols;
        try {
            symbols = SymbolLookup.libraryLookup(file, Arena.global());
        } catch (IllegalCallerException e) {
            return unavailable("native access is not enabled (" + e.getMessage()
                    + "); running the Java path. Fix: run java with --enable-native-access=ALL-UNNAMED"
                    + " (or the module that contains Whittle)", false);
        } catch (IllegalArgumentException e) {
            String hint = extracted
                    ? " If java.io.tmpdir is mounted noexec, set -Djava.io.tmpdir to another directory or -D"
                            + LIBRARY_PROPERTY + " to an installed copy."
                    : "";
            return unavailable("cannot load " + file + " (" + e.getMessage()
                    + "); running the Java path. Fix: " + FIX_BUILD + "." + hint, false);
        }
        Optional<MemorySegment> versionSymbol = symbols.find("whittle_abi_version");
        if (versionSymbol.isEmpty()) {
            return unavailable(file + " has no whittle_abi_version symbol, so it is not a Whittle library;"
                    + " running the Java path. Fix: " + FIX_BUILD, false);
        }
        int actual;
        try {
            MethodHandle version = Linker.nativeLinker().downcallHandle(
                    versionSymbol.get(), FunctionDescriptor.of(JAVA_INT));
            actual = (int) version.invokeExact();
        } catch (Throwable t) {
            return unavailable("calling whittle_abi_version in " + file + " failed (" + t
                    + "); running the Java path. Fix: " + FIX_BUILD, false);
        }
        if (actual != expectedAbi) {
            return unavailable(file + " has ABI version " + Integer.toUnsignedString(actual)
                    + " but this Whittle expects " + expectedAbi
                    + "; running the Java path. Fix: rebuild native/ from the same commit as the Java code"
                    + " (mvn package) or drop -D" + LIBRARY_PROPERTY, false);
        }
        return new NativeLibrary(symbols, file.toString(), null, false);
    }

    private static NativeLibrary unavailable(String reason, boolean disabled) {
        return new NativeLibrary(null, null, reason, disabled);
    }

    /** True when the library is loaded and its ABI version matches {@link #ABI_VERSION}. */
    public boolean isAvailable() {
        return symbols != null;
    }

    /** Why the library is unavailable and how to fix it; empty when it is available. */
    public Optional<String> unavailableReason() {
        return Optional.ofNullable(unavailableReason);
    }

    /** The file the library was loaded from (a temporary copy for the bundled one). */
    public Optional<String> origin() {
        return Optional.ofNullable(origin);
    }

    /** The address of an exported symbol; empty when absent or the library is unavailable. */
    public Optional<MemorySegment> lookup(String symbol) {
        Objects.requireNonNull(symbol, "symbol");
        return symbols == null ? Optional.empty() : symbols.find(symbol);
    }

    /**
     * A downcall handle for an exported function; empty when the symbol is absent or the
     * library is unavailable, so the caller can pick its Java path.
     */
    public Optional<MethodHandle> downcall(String symbol, FunctionDescriptor descriptor, Linker.Option... options) {
        Objects.requireNonNull(descriptor, "descriptor");
        return lookup(symbol).map(address -> Linker.nativeLinker().downcallHandle(address, descriptor, options));
    }

    /** {@code whittle_build_info()}: compiler, flags and ISAs compiled in. */
    public Optional<String> buildInfo() {
        return downcall("whittle_build_info", FunctionDescriptor.of(ADDRESS)).map(handle -> {
            try {
                MemorySegment text = (MemorySegment) handle.invokeExact();
                // A static C string of unknown length: widen the zero-length segment to read it.
                return text.reinterpret(Long.MAX_VALUE).getString(0);
            } catch (Throwable t) {
                throw new IllegalStateException("whittle_build_info failed", t);
            }
        });
    }

    /**
     * {@code <os>-<arch>} as the build script names the resource directory: linux-x86_64,
     * linux-aarch64, macos-aarch64, windows-x86_64.
     */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            os = "macos";
        } else if (os.startsWith("windows")) {
            os = "windows";
        } else {
            os = os.replaceAll("[^a-z0-9]+", "");
        }
        String arch = switch (osArch.toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64", "x86-64", "x64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> osArch.toLowerCase(Locale.ROOT);
        };
        return os + "-" + arch;
    }

    /** Classpath resource of the bundled library for a platform, without a leading slash. */
    static String resourceName(String osName, String osArch) {
        return "native/" + platform(osName, osArch) + "/" + System.mapLibraryName("whittle");
    }

    @Override
    public String toString() {
        return isAvailable() ? "libwhittle from " + origin : "libwhittle unavailable: " + unavailableReason;
    }
}
