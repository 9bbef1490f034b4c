package dev.whittle.tflite;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorflowlite.ErrorReporter;
import org.bytedeco.tensorflowlite.global.tensorflowlite;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A C++ {@code tflite::ErrorReporter} whose messages end up in Java instead of on the
 * process's standard error, one instance per interpreter.
 *
 * <p>Why this shape: the bytedeco preset maps {@code ErrorReporter} without a virtual
 * callback, so it cannot be subclassed from Java, and the C API's callback reporter cannot be
 * combined with the C++ {@code InterpreterBuilder} that we need for
 * {@code SetPreserveAllTensors} and for choosing the op resolver. So the object is built by
 * hand, following the Itanium C++ ABI used by GCC and Clang on Linux and macOS: its first word
 * points into a copy of {@code tflite::StderrReporter}'s vtable (offset-to-top, RTTI, the two
 * destructors, then {@code Report(const char*, va_list)}), with the {@code Report} slot replaced
 * by an FFM upcall stub. Borrowing a real vtable keeps RTTI valid should TFLite ever
 * {@code dynamic_cast} the reporter; StderrReporter has no data members, so the layouts agree.
 * TFLite never deletes a reporter it is given, so the destructor slots are never reached.
 * A probe report at start-up checks the whole path; if it fails, capture is switched off and
 * TFLite's messages stay on standard error.
 *
 * <p>Messages are formatted with the C library's {@code vsnprintf}, handing it the
 * {@code va_list} exactly as {@code Report} received it. That is a pointer in every supported
 * ABI: on x86-64 System V {@code va_list} is a one-element array type, so the parameter has
 * decayed to a pointer to the caller's {@code __va_list_tag}; on AArch64 Linux it is a 32-byte
 * struct, and AAPCS64 passes composites larger than 16 bytes by reference, so the callee gets
 * a pointer to a copy, which is also how {@code vsnprintf} expects to receive it; on Apple
 * AArch64 it is a plain {@code char*}. Formatting consumes a struct {@code va_list}, so for
 * the struct ABIs each attempt works on a fresh byte copy (what {@code va_copy} does there) and
 * a retry with a larger buffer stays possible.
 *
 * <p>Thread safety: the stub is shared; it finds the instance by the {@code this} address TFLite
 * passes in, so interpreters on different threads never see each other's messages.
 */
final class CapturingErrorReporter implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("dev.whittle.tflite");
    private static final String PROBE = "whittle error-capture probe";
    private static final int MAX_MESSAGES = 20;
    private static final int VTABLE_WORDS = 5;
    private static final int REPORT_SLOT = 4;
    private static final int VPTR_OFFSET_WORDS = 2;

    private static final ConcurrentHashMap<Long, CapturingErrorReporter> LIVE = new ConcurrentHashMap<>();

    private final Arena arena;
    private final MemorySegment object;
    private final ErrorReporter pointer;
    private final List<String> messages = new ArrayList<>();

    private CapturingErrorReporter(MemorySegment vptr) {
        this.arena = Arena.ofShared();
        this.object = arena.allocate(16, 16);
        object.set(ValueLayout.ADDRESS, 0, vptr);
        this.pointer = new ErrorReporter(new Pointer(object.asByteBuffer()));
        LIVE.put(object.address(), this);
    }

    /**
     * A new reporter, or {@code null} when capture is unavailable on this platform (TFLite then
     * uses its default reporter, which writes to standard error).
     */
    static CapturingErrorReporter create() {
        Setup setup = Setup.INSTANCE;
        return setup.vptr == null ? null : new CapturingErrorReporter(setup.vptr);
    }

    /** Why capture is unavailable, or {@code null} when it works. */
    static String unavailableReason() {
        return Setup.INSTANCE.failure;
    }

    /** The object to hand to TFLite. */
    ErrorReporter pointer() {
        return pointer;
    }

    /** Forgets earlier messages, so that the next {@link #drain()} covers one native call. */
    synchronized void clear() {
        messages.clear();
    }

    /**
     * The messages reported since the last clear, one per line, and forgets them. A model with
     * one defect repeated on every layer can report hundreds; the first ones are kept.
     */
    synchronized String drain() {
        List<String> kept = messages.size() > MAX_MESSAGES ? messages.subList(0, MAX_MESSAGES) : messages;
        String s = String.join("\n", kept).strip();
        if (messages.size() > MAX_MESSAGES) {
            s += "\n... and " + (messages.size() - MAX_MESSAGES) + " more messages";
        }
        messages.clear();
        return s;
    }

    private synchronized void add(String message) {
        messages.add(message);
    }

    @Override
    public void close() {
        if (LIVE.remove(object.address(), this)) {
            arena.close();
        }
    }

    // Runs on whatever native thread TFLite reports from; an exception escaping an upcall kills
    // the JVM, so everything is caught.
    private static int report(MemorySegment self, MemorySegment format, MemorySegment args) {
        try {
            String text = Printf.format(format, args);
            CapturingErrorReporter target = LIVE.get(self.address());
            if (target != null) {
                target.add(text);
            } else {
                LOG.log(System.Logger.Level.WARNING, "TFLite (reporter already closed): {0}", text);
            }
        } catch (Throwable t) {
            try {
                LOG.log(System.Logger.Level.WARNING, "could not format a TFLite error message", t);
            } catch (Throwable ignored) {
                // nothing else can be done inside an upcall
            }
        }
        return 0;
    }

    /** {@code vsnprintf} and how to hand it a {@code va_list}; initialised before {@link Setup} probes. */
    private static final class Printf {
        static final MethodHandle VSNPRINTF;
        static final long VA_LIST_COPY_BYTES;
        static final String FAILURE;

        static {
            MethodHandle f = null;
            long copy = 0;
            String why = null;
            try {
                copy = vaListCopyBytes();
                Linker linker = Linker.nativeLinker();
                f = linker.downcallHandle(linker.defaultLookup().find("vsnprintf").orElseThrow(
                                () -> new IllegalStateException("vsnprintf not found in the C library")),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                                ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            } catch (Throwable t) {
                why = t.toString();
            }
            VSNPRINTF = f;
            VA_LIST_COPY_BYTES = copy;
            FAILURE = why;
        }

        private Printf() {
        }

        /** Bytes of a struct {@code va_list} to copy, or 0 where {@code va_list} is a plain pointer. */
        private static long vaListCopyBytes() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            if (os.startsWith("windows")) {
                throw new UnsupportedOperationException("the MSVC C++ ABI has a different vtable layout");
            }
            boolean mac = os.contains("mac") || os.contains("darwin");
            return switch (arch) {
                case "amd64", "x86_64" -> 24;
                case "aarch64", "arm64" -> mac ? 0 : 32;
                default -> throw new UnsupportedOperationException("va_list layout unknown for " + arch);
            };
        }

        static String format(MemorySegment format, MemorySegment args) throws Throwable {
            try (Arena a = Arena.ofConfined()) {
                long size = 512;
                for (int attempt = 0; attempt < 2; attempt++) {
                    MemorySegment buf = a.allocate(size);
                    MemorySegment list = args;
                    if (VA_LIST_COPY_BYTES > 0) {
                        list = a.allocate(VA_LIST_COPY_BYTES, 16);
                        list.copyFrom(args.reinterpret(VA_LIST_COPY_BYTES));
                    }
                    int n = (int) VSNPRINTF.invokeExact(buf, size, format, list);
                    if (n < 0) {
                        break;
                    }
                    if (n < size) {
                        return buf.getString(0);
                    }
                    size = n + 1L;
                }
                return format.reinterpret(Integer.MAX_VALUE).getString(0);
            }
        }
    }

    /** The process-wide part: the patched vtable and the upcall stub, checked by a probe. */
    private static final class Setup {
        static final Setup INSTANCE = new Setup();

        final MemorySegment vptr;
        final String failure;

        private Setup() {
            MemorySegment v = null;
            String why = Printf.FAILURE;
            if (why == null) {
                try {
                    v = buildVtable(Linker.nativeLinker());
                } catch (Throwable t) {
                    why = t.toString();
                }
            }
            if (why == null) {
                why = probe(v);
            }
            this.vptr = why == null ? v : null;
            this.failure = why;
            if (why != null) {
                LOG.log(System.Logger.Level.WARNING,
                        "TFLite error messages cannot be captured here and go to standard error: {0}", why);
            }
        }

        private static MemorySegment buildVtable(Linker linker) throws ReflectiveOperationException {
            long defaultReporter = tensorflowlite.DefaultErrorReporter().address();
            if (defaultReporter == 0) {
                throw new IllegalStateException("tflite::DefaultErrorReporter() returned null");
            }
            long word = ValueLayout.ADDRESS.byteSize();
            MemorySegment original = MemorySegment.ofAddress(defaultReporter).reinterpret(word)
                    .get(ValueLayout.ADDRESS, 0);
            MemorySegment source = MemorySegment.ofAddress(original.address() - VPTR_OFFSET_WORDS * word)
                    .reinterpret(VTABLE_WORDS * word);
            if (source.get(ValueLayout.JAVA_LONG, 0) != 0
                    || source.get(ValueLayout.ADDRESS, REPORT_SLOT * word).address() == 0) {
                throw new IllegalStateException("tflite::StderrReporter's vtable does not have the expected layout");
            }
            MemorySegment copy = Arena.global().allocate(VTABLE_WORDS * word, word);
            copy.copyFrom(source);
            MethodHandle target = MethodHandles.lookup().findStatic(CapturingErrorReporter.class, "report",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class, MemorySegment.class));
            MemorySegment stub = linker.upcallStub(target,
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                            ValueLayout.ADDRESS),
                    Arena.global());
            copy.set(ValueLayout.ADDRESS, REPORT_SLOT * word, stub);
            return copy.asSlice(VPTR_OFFSET_WORDS * word);
        }

        /** Sends one message through TFLite's own variadic {@code Report}; null when it arrived intact. */
        private static String probe(MemorySegment v) {
            CapturingErrorReporter r = new CapturingErrorReporter(v);
            try {
                r.pointer().Report(PROBE);
                String got = r.drain();
                return PROBE.equals(got) ? null : "probe message came back as '" + got + "'";
            } catch (Throwable t) {
                return "probe failed: " + t;
            } finally {
                r.close();
            }
        }
    }
}
