package dev.whittle.tflite;

import dev.whittle.NativeLibraryException;
import dev.whittle.edgetpu.EdgeTpuRuntime;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.TfLiteDelegate;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * A native TFLite delegate (XNNPACK with its options, any delegate plugin, or the Coral Edge
 * TPU) with an owner: created once, shared by any number of {@link TfliteInterpreter}s, freed
 * after the last of them closes.
 *
 * <pre>{@code
 * try (Delegate tpu = Delegate.create("edgetpu:usb,Performance=Max")) {
 *     TfliteOptions opts = TfliteOptions.defaults().withDelegate(tpu);
 *     try (TfliteInterpreter a = TfliteInterpreter.create(model, opts);
 *          TfliteInterpreter b = TfliteInterpreter.create(model, opts)) {
 *         ... // a and b on two threads: one interpreter per thread
 *     }
 * }
 * }</pre>
 *
 * <p><b>Lifetime.</b> TFLite requires a delegate to outlive every interpreter it was applied to.
 * Each interpreter holds a reference, and the creator holds one until {@link #close()}; the
 * native delegate is freed when the count reaches zero, so closing the creator's handle while
 * interpreters still run only stops new interpreters from taking it
 * ({@link IllegalStateException}), and closing interpreters in any order is safe.
 *
 * <p><b>Threads.</b> This handle is thread-safe. An interpreter is not: give each thread its own
 * interpreter; interpreters on different threads may share one delegate. The Edge TPU runtime
 * and XNNPACK serialize work on a shared device or thread pool themselves; a plugin loaded with
 * {@code external:} follows its own rules.
 */
public final class Delegate implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.whittle.tflite");
    private static final Cleaner CLEANER = Cleaner.create();

    /**
     * {@code TfLiteXNNPackDelegateOptions} of TFLite 2.20 ({@code xnnpack_delegate.h}), 56 bytes;
     * checked against {@code TfLiteXNNPackDelegateOptionsDefault} in the bytedeco build, which
     * writes exactly these 56 bytes. Whittle writes only num_threads and flags; the rest keeps
     * the library's defaults.
     */
    static final MemoryLayout XNN_OPTIONS = MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("num_threads"),
            ValueLayout.JAVA_INT.withName("runtime_flags"),
            ValueLayout.JAVA_INT.withName("flags"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.ADDRESS.withName("weights_cache"),
            ValueLayout.JAVA_BOOLEAN.withName("handle_variable_ops"),
            MemoryLayout.paddingLayout(7),
            ValueLayout.ADDRESS.withName("weight_cache_file_path"),
            ValueLayout.JAVA_INT.withName("weight_cache_file_descriptor"),
            MemoryLayout.paddingLayout(4),
            ValueLayout.ADDRESS.withName("weight_cache_provider"));
    private static final long XNN_NUM_THREADS = 0;
    private static final long XNN_FLAGS = 8;

    private final DelegateSpec spec;
    private final String description;
    private final State state;
    private final Cleaner.Cleanable cleanable;
    private int users;
    private boolean ownerClosed;

    /** What the cleaner frees: never references the Delegate itself. */
    private static final class State implements Runnable {
        final long address;
        final LongConsumer free;
        final Arena arena;
        final String what;
        volatile boolean freed;
        boolean byCloseOrRelease;

        State(long address, LongConsumer free, Arena arena, String what) {
            this.address = address;
            this.free = free;
            this.arena = arena;
            this.what = what;
        }

        @Override
        public void run() {
            if (!byCloseOrRelease) {
                LOG.log(System.Logger.Level.WARNING, "delegate {0} was never closed; freed by the cleaner", what);
            }
            freed = true;
            free.accept(address);
            if (arena != null) {
                arena.close();
            }
        }
    }

    private Delegate(DelegateSpec spec, String description, long address, LongConsumer free, Arena arena) {
        this.spec = spec;
        this.description = description;
        this.state = new State(address, free, arena, spec.toString());
        this.cleanable = CLEANER.register(this, state);
    }

    /** {@link #create(DelegateSpec, int)} of a parsed spec with one XNNPACK thread by default. */
    public static Delegate create(String spec) {
        return create(DelegateSpec.parse(spec), 1);
    }

    /**
     * Creates the native delegate.
     *
     * @param defaultThreads XNNPACK's thread count when the spec gives none
     * @throws NativeLibraryException when libedgetpu (or the TFLite natives) cannot be loaded,
     *     naming the library and how to install it
     * @throws DelegateException when no device is found, the device cannot be opened, or the
     *     library returns no delegate; the message says what to do
     */
    public static Delegate create(DelegateSpec spec, int defaultThreads) {
        Objects.requireNonNull(spec, "spec");
        if (defaultThreads < 1) {
            throw new dev.whittle.InvalidInputException("threads must be >= 1, got " + defaultThreads);
        }
        return switch (spec.kind()) {
            case XNNPACK -> xnnpack(spec, defaultThreads);
            case EXTERNAL -> external(spec);
            case EDGETPU -> edgeTpu(spec);
        };
    }

    // ---- XNNPACK and external: C functions of the bytedeco TFLite build ----

    private static final class TfliteC {
        static final TfliteC INSTANCE = new TfliteC();
        final MethodHandle xnnDefault;
        final MethodHandle xnnCreate;
        final MethodHandle xnnDelete;

        private TfliteC() {
            String lib = TfliteNative.libraryPath();
            if (lib == null) {
                throw new NativeLibraryException("the path of the TFLite natives is unknown; cannot reach the"
                        + " XNNPACK and external delegates' C API");
            }
            SymbolLookup l = SymbolLookup.libraryLookup(Path.of(lib), Arena.global());
            Linker linker = Linker.nativeLinker();
            xnnDefault = linker.downcallHandle(sym(l, lib, "TfLiteXNNPackDelegateOptionsDefault"),
                    FunctionDescriptor.of(XNN_OPTIONS));
            xnnCreate = linker.downcallHandle(sym(l, lib, "TfLiteXNNPackDelegateCreate"),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            xnnDelete = linker.downcallHandle(sym(l, lib, "TfLiteXNNPackDelegateDelete"),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        }

        private static MemorySegment sym(SymbolLookup l, String lib, String name) {
            return l.find(name).orElseThrow(() -> new NativeLibraryException(lib + " does not export " + name
                    + "; this TFLite build has no C API for that delegate"));
        }
    }

    private static Delegate xnnpack(DelegateSpec spec, int defaultThreads) {
        TfliteC c = TfliteC.INSTANCE;
        int threads = spec.xnnpackThreads(defaultThreads);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment opts = (MemorySegment) c.xnnDefault.invokeExact((java.lang.foreign.SegmentAllocator) arena);
            int flags = spec.xnnpackFlags(opts.get(ValueLayout.JAVA_INT, XNN_FLAGS));
            opts.set(ValueLayout.JAVA_INT, XNN_NUM_THREADS, threads);
            opts.set(ValueLayout.JAVA_INT, XNN_FLAGS, flags);
            MemorySegment d = (MemorySegment) c.xnnCreate.invokeExact(opts);
            if (d.equals(MemorySegment.NULL)) {
                throw new DelegateException(DelegateException.Reason.CREATE_FAILED,
                        "TFLite could not create the XNNPACK delegate (" + spec + ")");
            }
            String desc = String.format("xnnpack (%d thread%s, flags 0x%x)", threads, threads == 1 ? "" : "s", flags);
            return new Delegate(spec, desc, d.address(), a -> call(c.xnnDelete, a), null);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * A delegate plugin, called through TFLite's external-delegate plugin ABI
     * ({@code tflite_plugin_create_delegate(keys, values, n, report_error)} and
     * {@code tflite_plugin_destroy_delegate}) directly: TFLite 2.20's
     * {@code TfLiteExternalDelegateCreate} returns a non-null wrapper even when the plugin
     * returned no delegate, and deleting that wrapper crashes, so Whittle calls the plugin itself
     * (what the wrapper does) and turns a null into a typed error with the plugin's message.
     */
    private static final class Plugin {
        private static final java.util.Map<String, Plugin> LOADED = new java.util.concurrent.ConcurrentHashMap<>();
        /** Messages the plugin reports while one create runs; creates are serialized on it. */
        private static final StringBuilder REPORTED = new StringBuilder();
        private static final MemorySegment REPORT_STUB;

        static {
            try {
                MethodHandle report = java.lang.invoke.MethodHandles.lookup().findStatic(Plugin.class, "report",
                        java.lang.invoke.MethodType.methodType(void.class, MemorySegment.class));
                REPORT_STUB = Linker.nativeLinker().upcallStub(report, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS),
                        Arena.global());
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final MethodHandle create;
        final MethodHandle destroy;

        private Plugin(Path lib) {
            SymbolLookup l;
            try {
                l = SymbolLookup.libraryLookup(lib, Arena.global());
            } catch (IllegalArgumentException e) {
                throw new NativeLibraryException("cannot load delegate plugin " + lib + ": " + e.getMessage(), e);
            }
            Linker linker = Linker.nativeLinker();
            MemorySegment c = l.find("tflite_plugin_create_delegate").orElseThrow(() -> new NativeLibraryException(
                    lib + " is not a TFLite delegate plugin: it does not export tflite_plugin_create_delegate"));
            MemorySegment d = l.find("tflite_plugin_destroy_delegate").orElseThrow(() -> new NativeLibraryException(
                    lib + " is not a TFLite delegate plugin: it does not export tflite_plugin_destroy_delegate"));
            create = linker.downcallHandle(c, FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
            destroy = linker.downcallHandle(d, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        }

        static Plugin of(Path lib) {
            return LOADED.computeIfAbsent(lib.toString(), k -> new Plugin(lib));
        }

        @SuppressWarnings("unused") // called from native code
        private static void report(MemorySegment message) {
            String m = message.equals(MemorySegment.NULL) ? "" : message.reinterpret(65536).getString(0);
            if (REPORTED.length() < 4096) {
                REPORTED.append(REPORTED.length() == 0 ? "" : "; ").append(m);
            }
        }
    }

    private static Delegate external(DelegateSpec spec) {
        Plugin plugin = Plugin.of(spec.library());
        int n = spec.options().size();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment keys = arena.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            MemorySegment values = arena.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            int i = 0;
            for (Map.Entry<String, String> e : spec.options().entrySet()) {
                keys.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(e.getKey()));
                values.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(e.getValue()));
                i++;
            }
            MemorySegment d;
            String reported;
            synchronized (Plugin.REPORTED) {
                Plugin.REPORTED.setLength(0);
                d = (MemorySegment) plugin.create.invokeExact(keys, values, (long) n, Plugin.REPORT_STUB);
                reported = Plugin.REPORTED.toString();
                Plugin.REPORTED.setLength(0);
            }
            if (d.equals(MemorySegment.NULL)) {
                throw new DelegateException(DelegateException.Reason.CREATE_FAILED, "the delegate plugin "
                        + spec.library() + " returned no delegate (options " + spec.options() + ")"
                        + (reported.isEmpty() ? "" : ": " + reported)
                        + ". Check the plugin's options and that its device is present");
            }
            return new Delegate(spec, "external " + spec.library().getFileName() + (n == 0 ? "" : " " + spec.options()),
                    d.address(), a -> call(plugin.destroy, a), null);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static Delegate edgeTpu(DelegateSpec spec) {
        EdgeTpuRuntime rt = EdgeTpuRuntime.load();
        List<EdgeTpuRuntime.Device> all = rt.devices();
        List<EdgeTpuRuntime.Device> ofType = all.stream()
                .filter(d -> spec.deviceType() == null || d.type().equals(spec.deviceType())).toList();
        int index = Math.max(0, spec.deviceIndex());
        String what = (spec.deviceType() == null ? "" : spec.deviceType().toUpperCase(java.util.Locale.ROOT) + " ")
                + "Edge TPU";
        if (ofType.size() <= index) {
            String found = all.isEmpty() ? "no Edge TPU found" : "found " + all.size() + " Edge TPU(s) but "
                    + (ofType.isEmpty() ? "none " + (spec.deviceType() == null ? "" : "on " + spec.deviceType())
                    : "only " + ofType.size() + " " + what + "(s)") + " for '" + spec + "'";
            throw new DelegateException(DelegateException.Reason.NO_DEVICE, found + " (" + rt.library() + ", "
                    + rt.version() + "). Connect a Coral USB Accelerator or check the PCIe/M.2 driver (/dev/apex_0),"
                    + " check that your user may open it (Coral's udev rules come with libedgetpu1-std; replug after"
                    + " installing), and list what is found with 'whittle devices'");
        }
        EdgeTpuRuntime.Device dev = ofType.get(index);
        long d = rt.createDelegate(dev, spec.options());
        if (d == 0) {
            throw new DelegateException(DelegateException.Reason.DEVICE_UNAVAILABLE, "libedgetpu could not open "
                    + dev.type() + " Edge TPU " + dev.path() + " (options " + spec.options() + "): it is busy (another"
                    + " process holds it) or refused an option. Close the other user, or pick another device with"
                    + " edgetpu:usb:N / edgetpu:pci:N ('whittle devices' lists them)");
        }
        return new Delegate(spec, "edgetpu " + dev.type() + " " + dev.path() + (spec.options().isEmpty() ? ""
                : " " + spec.options()), d, rt::freeDelegate, null);
    }

    private static void call(MethodHandle free, long address) {
        try {
            free.invokeExact(MemorySegment.ofAddress(address));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    // ---- ownership ----

    /**
     * Takes a reference for an interpreter and returns the native delegate to apply.
     *
     * @throws IllegalStateException when this delegate has been closed by its owner
     */
    synchronized TfLiteDelegate acquire() {
        if (ownerClosed || state.freed) {
            throw new IllegalStateException("delegate " + spec + " has been closed; create a new one");
        }
        users++;
        long a = state.address;
        return new TfLiteDelegate(new Pointer() {
            {
                address = a;
            }
        });
    }

    /** Returns an interpreter's reference, after that interpreter has been freed. */
    synchronized void release() {
        if (users <= 0) {
            throw new IllegalStateException("delegate " + spec + " released more often than acquired");
        }
        users--;
        freeIfUnused();
    }

    private void freeIfUnused() {
        if (ownerClosed && users == 0 && !state.freed) {
            state.byCloseOrRelease = true;
            cleanable.clean();
        }
    }

    /**
     * Gives up the creator's reference: the native delegate is freed now if no interpreter uses
     * it, else when the last one closes. Later calls do nothing.
     */
    @Override
    public synchronized void close() {
        if (!ownerClosed) {
            ownerClosed = true;
            freeIfUnused();
        }
    }

    /** The spec this delegate was created from. */
    public DelegateSpec spec() {
        return spec;
    }

    /** What it is, for logs and the command line: {@code xnnpack (2 threads, flags 0x3)}. */
    public String description() {
        return description;
    }

    /** How many open interpreters use it. */
    public synchronized int users() {
        return users;
    }

    /** Whether the native delegate has been freed. */
    public boolean isFreed() {
        return state.freed;
    }

    /** The native {@code TfLiteDelegate*}, for diagnostics. */
    public long address() {
        return state.address;
    }

    @Override
    public String toString() {
        return "Delegate[" + description + (isFreed() ? ", freed" : ", " + users() + " user(s)") + "]";
    }
}
