package dev.whittle.edgetpu;

import dev.whittle.NativeLibraryException;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * libedgetpu, the Coral Edge TPU runtime, through its C API ({@code edgetpu_c.h}) and
 * {@code java.lang.foreign}: device discovery, version, and creation of the Edge TPU TFLite
 * delegate. The library is used unchanged; {@code -Dwhittle.edgetpu.lib=PATH} picks one (the
 * tests point it at Whittle's test double), otherwise the platform's name
 * ({@code libedgetpu.so.1}, {@code libedgetpu.1.dylib}, {@code edgetpu.dll}) is looked up as
 * the dynamic loader does.
 *
 * <p>Loaded libraries stay loaded for the life of the process (delegates point into them).
 * All methods are thread-safe: libedgetpu's C functions are.
 */
public final class EdgeTpuRuntime {
    /** System property naming the libedgetpu to load. */
    public static final String PROPERTY = "whittle.edgetpu.lib";

    /** {@code edgetpu_device_type} values of {@code edgetpu_c.h}. */
    public static final int TYPE_PCI = 0;
    public static final int TYPE_USB = 1;

    private static final Map<String, EdgeTpuRuntime> LOADED = new ConcurrentHashMap<>();

    /** {@code struct edgetpu_device { enum edgetpu_device_type type; const char* path; }} */
    private static final MemoryLayout DEVICE = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("type"),
            MemoryLayout.paddingLayout(4), ValueLayout.ADDRESS.withName("path"));
    /** {@code struct edgetpu_option { const char* name; const char* value; }} */
    private static final MemoryLayout OPTION = MemoryLayout.structLayout(ValueLayout.ADDRESS.withName("name"),
            ValueLayout.ADDRESS.withName("value"));

    /** One Edge TPU as libedgetpu lists it: {@code usb} or {@code pci}, and its device path. */
    public record Device(String type, String path) {
        int typeCode() {
            return type.equals("pci") ? TYPE_PCI : TYPE_USB;
        }
    }

    private final String library;
    private final MethodHandle listDevices;
    private final MethodHandle freeDevices;
    private final MethodHandle createDelegate;
    private final MethodHandle freeDelegate;
    private final MethodHandle version;

    private EdgeTpuRuntime(String library, SymbolLookup lookup) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        listDevices = linker.downcallHandle(find(lookup, "edgetpu_list_devices"),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        freeDevices = linker.downcallHandle(find(lookup, "edgetpu_free_devices"),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        createDelegate = linker.downcallHandle(find(lookup, "edgetpu_create_delegate"),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        freeDelegate = linker.downcallHandle(find(lookup, "edgetpu_free_delegate"),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        version = linker.downcallHandle(find(lookup, "edgetpu_version"), FunctionDescriptor.of(ValueLayout.ADDRESS));
    }

    private MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new NativeLibraryException(library + " does not export " + name
                + ": it is not libedgetpu (or a version without the C API, edgetpu_c.h). " + installHint()));
    }

    /** The platform's file name of libedgetpu. */
    public static String defaultLibraryName() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        if (os.contains("mac")) {
            return "libedgetpu.1.dylib";
        }
        if (os.contains("win")) {
            return "edgetpu.dll";
        }
        return "libedgetpu.so.1";
    }

    /** How to install the runtime, for messages. */
    public static String installHint() {
        return "Install the Coral Edge TPU runtime: on Debian/Ubuntu add Coral's apt repository and run"
                + " 'sudo apt-get install libedgetpu1-std' (see https://coral.ai/docs/accelerator/get-started/),"
                + " or point -D" + PROPERTY + "=PATH at the library";
    }

    /**
     * The libedgetpu named by {@code -Dwhittle.edgetpu.lib}, or the platform's default.
     *
     * @throws NativeLibraryException naming the library and how to install it
     */
    public static EdgeTpuRuntime load() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? load(defaultLibraryName(), false) : load(p, true);
    }

    /** A given libedgetpu file. */
    public static EdgeTpuRuntime load(Path library) {
        return load(library.toAbsolutePath().toString(), true);
    }

    private static EdgeTpuRuntime load(String lib, boolean isPath) {
        EdgeTpuRuntime r = LOADED.get(lib);
        if (r != null) {
            return r;
        }
        synchronized (LOADED) {
            r = LOADED.get(lib);
            if (r != null) {
                return r;
            }
            if (isPath && !Files.isRegularFile(Path.of(lib))) {
                throw new NativeLibraryException("libedgetpu not found at " + lib + " (-D" + PROPERTY + "). "
                        + installHint());
            }
            SymbolLookup lookup;
            try {
                lookup = isPath ? SymbolLookup.libraryLookup(Path.of(lib), Arena.global())
                        : SymbolLookup.libraryLookup(lib, Arena.global());
            } catch (IllegalArgumentException e) {
                throw new NativeLibraryException((isPath ? "cannot load " + lib + " as the Edge TPU runtime"
                        : "no Edge TPU found: the Edge TPU runtime " + lib + " is not installed") + " ("
                        + e.getMessage() + "). " + installHint(), e);
            }
            r = new EdgeTpuRuntime(lib, lookup);
            LOADED.put(lib, r);
            return r;
        }
    }

    /** The library's name or path as loaded. */
    public String library() {
        return library;
    }

    /** {@code edgetpu_version()}: libedgetpu's build and runtime version. */
    public String version() {
        try {
            MemorySegment s = (MemorySegment) version.invokeExact();
            return s.equals(MemorySegment.NULL) ? "" : s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code edgetpu_list_devices()}: the Edge TPUs connected now. */
    public List<Device> devices() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment count = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment list = (MemorySegment) listDevices.invokeExact(count);
            long n = count.get(ValueLayout.JAVA_LONG, 0);
            List<Device> out = new ArrayList<>();
            if (list.equals(MemorySegment.NULL) || n <= 0) {
                return out;
            }
            try {
                if (n > 1024) {
                    throw new NativeLibraryException(library + " reported " + n + " Edge TPUs; refusing to read that list");
                }
                MemorySegment all = list.reinterpret(n * DEVICE.byteSize());
                for (long i = 0; i < n; i++) {
                    int type = all.get(ValueLayout.JAVA_INT, i * DEVICE.byteSize());
                    MemorySegment path = all.get(ValueLayout.ADDRESS, i * DEVICE.byteSize() + 8);
                    out.add(new Device(type == TYPE_PCI ? "pci" : type == TYPE_USB ? "usb" : "type" + type,
                            path.equals(MemorySegment.NULL) ? "" : path.reinterpret(4096).getString(0)));
                }
            } finally {
                freeDevices.invokeExact(list);
            }
            return out;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * {@code edgetpu_create_delegate(type, path, options)}: the address of a new
     * {@code TfLiteDelegate}, or 0 when libedgetpu refused (the device is busy or gone, or an
     * option is invalid). The caller owns it and frees it with {@link #freeDelegate(long)}.
     */
    public long createDelegate(Device device, Map<String, String> options) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = options.isEmpty() ? MemorySegment.NULL
                    : arena.allocate(OPTION.byteSize() * options.size(), 8);
            long i = 0;
            for (Map.Entry<String, String> e : options.entrySet()) {
                opts.set(ValueLayout.ADDRESS, i * OPTION.byteSize(), arena.allocateFrom(e.getKey()));
                opts.set(ValueLayout.ADDRESS, i * OPTION.byteSize() + 8, arena.allocateFrom(e.getValue()));
                i++;
            }
            MemorySegment d = (MemorySegment) createDelegate.invokeExact(device.typeCode(),
                    arena.allocateFrom(device.path()), opts, (long) options.size());
            return d.address();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** {@code edgetpu_free_delegate}. */
    public void freeDelegate(long delegate) {
        if (delegate == 0) {
            return;
        }
        try {
            freeDelegate.invokeExact(MemorySegment.ofAddress(delegate));
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    /**
     * What {@code whittle devices} shows: the library, its version and the devices, or why
     * there is none. Never throws for a missing library.
     */
    public record Probe(String library, String version, List<Device> devices, String problem) {
        public boolean available() {
            return problem == null;
        }
    }

    /** Probes the library {@link #load()} would use. */
    public static Probe probe() {
        try {
            EdgeTpuRuntime r = load();
            return new Probe(r.library(), r.version(), r.devices(), null);
        } catch (NativeLibraryException e) {
            String p = System.getProperty(PROPERTY);
            return new Probe(p == null || p.isBlank() ? defaultLibraryName() : p, null, List.of(), e.getMessage());
        }
    }
}
