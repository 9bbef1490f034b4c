package dev.whittle.testing;

import dev.whittle.TensorData;
import dev.whittle.edgetpu.EdgeTpuRuntime;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelWriter;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorflowlite.TfLiteContext;
import org.bytedeco.tensorflowlite.TfLiteDelegate;
import org.bytedeco.tensorflowlite.TfLiteNode;
import org.bytedeco.tensorflowlite.TfLiteRegistration;
import org.bytedeco.tensorflowlite.TfLiteTensor;
import org.bytedeco.tensorflowlite.global.tensorflowlite;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The libedgetpu test double ({@code native/testing/fake_edgetpu.cc}, built by CMake into
 * {@code java/target/native-test/}) and its test hooks, through FFM.
 *
 * <p>The fake's output rule, which tests predict: with S the sum of all bytes of the delegated
 * node's inputs and salt the option {@code Fake.Salt} (default 0), byte i of output k is
 * {@code (S + salt + 31*k + i) mod 256}.
 *
 * <p>Before anything lets TFLite call into the fake, {@link #get()} checks that the TFLite
 * structs the fake declares itself have the sizes and offsets of the real TFLite 2.20 build
 * (from bytedeco's {@code Loader.sizeof/offsetof}), so a layout mistake fails a test instead of
 * crashing the JVM.
 */
public final class FakeEdgeTpu {
    public static final String PROPERTY = "whittle.test.fakeEdgetpu";

    private static FakeEdgeTpu instance;

    private final Path library;
    private final MethodHandle reset;
    private final MethodHandle configure;
    private final MethodHandle lastOptions;
    private final MethodHandle liveDelegates;
    private final MethodHandle claimedNodes;
    private final MethodHandle invokes;

    private FakeEdgeTpu(Path library) {
        this.library = library;
        SymbolLookup l = SymbolLookup.libraryLookup(library, Arena.global());
        Linker linker = Linker.nativeLinker();
        reset = linker.downcallHandle(l.find("fake_edgetpu_reset").orElseThrow(), FunctionDescriptor.ofVoid());
        configure = linker.downcallHandle(l.find("fake_edgetpu_configure").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        lastOptions = linker.downcallHandle(l.find("fake_edgetpu_last_options").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS));
        liveDelegates = linker.downcallHandle(l.find("fake_edgetpu_live_delegates").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT));
        claimedNodes = linker.downcallHandle(l.find("fake_edgetpu_claimed_nodes").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG));
        invokes = linker.downcallHandle(l.find("fake_edgetpu_invokes").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG));
        checkLayout(l, linker);
    }

    /** The fake, or a skipped test when it was not built (no C++ toolchain). */
    public static synchronized FakeEdgeTpu get() {
        if (instance == null) {
            Path p = location();
            Assumptions.assumeTrue(p != null, "the libedgetpu test double was not built (no cmake/C++ compiler;"
                    + " expected at -D" + PROPERTY + "=" + System.getProperty(PROPERTY) + "); skipping");
            instance = new FakeEdgeTpu(p);
        }
        return instance;
    }

    private static Path location() {
        String prop = System.getProperty(PROPERTY);
        if (prop == null || prop.isBlank()) {
            prop = "target/native-test/libwhittle_fake_edgetpu.so";
        }
        Path p = Path.of(prop).toAbsolutePath();
        if (Files.isRegularFile(p)) {
            return p;
        }
        Path dylib = Path.of(p.toString().replaceFirst("\\.so$", ".dylib"));
        return Files.isRegularFile(dylib) ? dylib : null;
    }

    private static void checkLayout(SymbolLookup l, Linker linker) {
        Loader.load(tensorflowlite.class);
        long[] expected = {
            Loader.sizeof(TfLiteTensor.class), Loader.offsetof(TfLiteTensor.class, "data"),
            Loader.offsetof(TfLiteTensor.class, "bytes"),
            Loader.sizeof(TfLiteNode.class), Loader.offsetof(TfLiteNode.class, "inputs"),
            Loader.offsetof(TfLiteNode.class, "outputs"), Loader.offsetof(TfLiteNode.class, "user_data"),
            Loader.sizeof(TfLiteRegistration.class), Loader.offsetof(TfLiteRegistration.class, "invoke"),
            Loader.offsetof(TfLiteRegistration.class, "custom_name"),
            Loader.offsetof(TfLiteRegistration.class, "inplace_operator"),
            Loader.sizeof(TfLiteDelegate.class), Loader.offsetof(TfLiteDelegate.class, "Prepare"),
            Loader.offsetof(TfLiteDelegate.class, "flags"),
            Loader.offsetof(TfLiteContext.class, "tensors"), Loader.offsetof(TfLiteContext.class, "GetExecutionPlan"),
            Loader.offsetof(TfLiteContext.class, "GetNodeAndRegistration"),
            Loader.offsetof(TfLiteContext.class, "ReplaceNodeSubsetsWithDelegateKernels"),
        };
        try (Arena a = Arena.ofConfined()) {
            MethodHandle layout = linker.downcallHandle(l.find("fake_edgetpu_layout").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            MemorySegment out = a.allocate(ValueLayout.JAVA_LONG, 32);
            int n = (int) layout.invokeExact(out, 32);
            Assertions.assertEquals(expected.length, n, "fake_edgetpu_layout entries");
            Assertions.assertArrayEquals(expected, out.asSlice(0, n * 8L).toArray(ValueLayout.JAVA_LONG),
                    "the TFLite structs declared in fake_edgetpu.cc must match the TFLite build's layout");
        } catch (Throwable t) {
            if (t instanceof AssertionError e) {
                throw e;
            }
            throw new AssertionError(t);
        }
    }

    public Path library() {
        return library;
    }

    /** One device (USB), not busy, counters at zero. */
    public void reset() {
        try {
            reset.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code devices} (count) or {@code busy} (0/1). */
    public void configure(String key, String value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment k = a.allocateFrom(key);
            MemorySegment v = a.allocateFrom(value);
            configure.invokeExact(k, v);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** {@code type=1;name=/dev/fake_edgetpu_0;Performance=Max;...} of the last delegate creation. */
    public String lastOptions() {
        try {
            MemorySegment s = (MemorySegment) lastOptions.invokeExact();
            return s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public int liveDelegates() {
        try {
            return (int) liveDelegates.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public long claimedNodes() {
        try {
            return (long) claimedNodes.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public long invokes() {
        try {
            return (long) invokes.invokeExact();
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Runs {@code body} with {@code -Dwhittle.edgetpu.lib} pointing at the fake. */
    public void with(ThrowingRunnable body) throws Exception {
        String old = System.getProperty(EdgeTpuRuntime.PROPERTY);
        System.setProperty(EdgeTpuRuntime.PROPERTY, library.toString());
        try {
            body.run();
        } finally {
            if (old == null) {
                System.clearProperty(EdgeTpuRuntime.PROPERTY);
            } else {
                System.setProperty(EdgeTpuRuntime.PROPERTY, old);
            }
        }
    }

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** The fake's rule for output {@code k} of {@code bytes} bytes, given all input bytes. */
    public static byte[] predict(byte[] inputs, int salt, int k, int bytes) {
        int sum = 0;
        for (byte b : inputs) {
            sum += b & 0xff;
        }
        byte[] out = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            out[i] = (byte) (sum + salt + 31 * k + i);
        }
        return out;
    }

    /**
     * A tiny "compiled" model: uint8 input {@code [1, 4]} into one {@code edgetpu-custom-op}
     * with two outputs {@code [1, 6]} and {@code [1, 3]}, then a RESHAPE of output 1 to
     * {@code [3]} that TFLite runs on the CPU after the delegated node.
     */
    public static byte[] model() {
        ModelBuilder b = new ModelBuilder("fake_edgetpu_model");
        int in = b.input("input", TensorType.UINT8, 1, 4);
        int[] outs = b.customOp("edgetpu-custom-op", new byte[] {1, 2, 3, 4}, new int[] {in},
                ModelBuilder.TensorSpec.of("tpu_out0", TensorType.UINT8, 1, 6),
                ModelBuilder.TensorSpec.of("tpu_out1", TensorType.UINT8, 1, 3));
        int r = b.reshape("cpu_reshape", outs[1], 3);
        b.output(outs[0]);
        b.output(r);
        return ModelWriter.toBytes(b.build());
    }

    /** Input for {@link #model()}. */
    public static TensorData input(byte... four) {
        return new TensorData(TensorType.UINT8, new int[] {1, 4}, ByteBuffer.wrap(four.clone()));
    }
}
