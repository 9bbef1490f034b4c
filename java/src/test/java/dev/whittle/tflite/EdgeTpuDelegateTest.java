package dev.whittle.tflite;

import dev.whittle.NativeLibraryException;
import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.edgetpu.EdgeTpuRuntime;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.testing.FakeEdgeTpu;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole Edge TPU path on a machine without one, through the libedgetpu test double
 * ({@link FakeEdgeTpu}, loaded with {@code -Dwhittle.edgetpu.lib} exactly as the real library
 * would be): discovery, options passed through, nodes claimed, data in and out, the lifetime
 * rules, threads, and each failure ending in a typed error that says what to do.
 */
class EdgeTpuDelegateTest {
    private FakeEdgeTpu fake;
    private final byte[] model = FakeEdgeTpu.model();

    @BeforeEach
    void setUp() {
        fake = FakeEdgeTpu.get();
        fake.reset();
    }

    private static byte[] bytes(TensorData t) {
        return t.bytes();
    }

    @Test
    void discoversDevicesAndVersion() throws Exception {
        fake.configure("devices", "3");
        EdgeTpuRuntime rt = EdgeTpuRuntime.load(fake.library());
        assertEquals(List.of(new EdgeTpuRuntime.Device("usb", "/dev/fake_edgetpu_0"),
                new EdgeTpuRuntime.Device("pci", "/dev/fake_edgetpu_1"),
                new EdgeTpuRuntime.Device("usb", "/dev/fake_edgetpu_2")), rt.devices());
        assertTrue(rt.version().contains("RuntimeVersion"), rt.version());
        fake.with(() -> {
            EdgeTpuRuntime.Probe p = EdgeTpuRuntime.probe();
            assertTrue(p.available());
            assertEquals(3, p.devices().size());
        });
    }

    @Test
    void claimsTheCustomOpPassesOptionsAndComputesThePredictedOutputs() throws Exception {
        fake.configure("devices", "2");
        fake.with(() -> {
            try (Delegate d = Delegate.create("edgetpu:pci,Performance=max,Usb.MaxBulkInQueueLength=8,Fake.Salt=7");
                 TfliteInterpreter t = TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate(d))) {
                // Device 1 is the PCI one; options reach libedgetpu as it spells them.
                assertEquals("type=0;name=/dev/fake_edgetpu_1;Performance=Max;Usb.MaxBulkInQueueLength=8;Fake.Salt=7",
                        fake.lastOptions());
                assertEquals(1, fake.claimedNodes());
                assertEquals(2, t.executionPlanSize(), "the delegate kernel, then the CPU RESHAPE");
                assertEquals(List.of(d.description()), t.delegates());
                byte[] in = {10, 20, 30, (byte) 200};
                List<TensorData> out = t.run(List.of(FakeEdgeTpu.input(in)));
                assertArrayEquals(FakeEdgeTpu.predict(in, 7, 0, 6), bytes(out.get(0)));
                // Output 1 went through the CPU RESHAPE after the delegated node.
                assertArrayEquals(new int[] {3}, out.get(1).shape());
                assertArrayEquals(FakeEdgeTpu.predict(in, 7, 1, 3), bytes(out.get(1)));
                assertEquals(1, fake.invokes());
            }
        });
        assertEquals(0, fake.liveDelegates());
    }

    @Test
    void deviceIndexPicksAmongDevicesOfThatType() throws Exception {
        fake.configure("devices", "4");
        fake.with(() -> {
            try (Delegate d = Delegate.create("edgetpu:usb:1")) {
                assertTrue(fake.lastOptions().startsWith("type=1;name=/dev/fake_edgetpu_2"), fake.lastOptions());
                assertTrue(d.description().contains("/dev/fake_edgetpu_2"));
            }
        });
    }

    @Test
    void externalDelegatePluginAbiOfTheSameLibrary() {
        // The plugin ABI (what Python's load_delegate uses) of the same test double.
        try (TfliteInterpreter t = TfliteInterpreter.create(model, TfliteOptions.defaults()
                .withDelegate("external:" + fake.library() + ",Fake.Salt=3"))) {
            assertTrue(fake.lastOptions().endsWith(";Fake.Salt=3"), fake.lastOptions());
            byte[] in = {1, 2, 3, 4};
            List<TensorData> out = t.run(List.of(FakeEdgeTpu.input(in)));
            assertArrayEquals(FakeEdgeTpu.predict(in, 3, 0, 6), bytes(out.get(0)));
            assertEquals(1, fake.liveDelegates());
        }
        assertEquals(0, fake.liveDelegates());
    }

    @Test
    void realCompiledModelsRunThroughTheDelegate() throws Exception {
        SharedData.assumeAvailable();
        Path mobilenet = SharedData.root().resolve("models/mobilenet_v1_0.25_128_quant_edgetpu.tflite");
        Path deeplab = SharedData.root().resolve("models/deeplabv3_mnv2_dm05_pascal_quant_edgetpu.tflite");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(mobilenet) && Files.isRegularFile(deeplab),
                "compiled Edge TPU models not in " + SharedData.root() + "/models; skipping");
        fake.with(() -> {
            try (TfliteInterpreter t = TfliteInterpreter.create(mobilenet, TfliteOptions.defaults().withDelegate("edgetpu"))) {
                byte[] in = new byte[128 * 128 * 3];
                new SplittableRandom(3).nextBytes(in);
                List<TensorData> out = t.run(List.of(new TensorData(TensorType.UINT8, new int[] {1, 128, 128, 3},
                        ByteBuffer.wrap(in))));
                assertArrayEquals(new int[] {1, 1001}, out.get(0).shape());
                assertArrayEquals(FakeEdgeTpu.predict(in, 0, 0, 1001), bytes(out.get(0)));
            }
            // DeepLab: the compiler left part of the head on the CPU; TFLite runs it after the TPU node.
            long before = fake.claimedNodes();
            try (TfliteInterpreter t = TfliteInterpreter.create(deeplab, TfliteOptions.defaults().withDelegate("edgetpu"))) {
                t.invoke();
                assertEquals(before + 1, fake.claimedNodes());
                assertEquals(1, t.outputCount());
            }
        });
        assertEquals(0, fake.liveDelegates());
    }

    @Test
    void oneDelegateSharedByTwoInterpretersIsFreedAfterTheLastInAnyOrder() throws Exception {
        fake.with(() -> {
            Delegate d = Delegate.create("edgetpu");
            TfliteInterpreter a = TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate(d));
            TfliteInterpreter b = TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate(d));
            assertEquals(2, d.users());
            d.close(); // the owner lets go first: both interpreters still work
            assertFalse(d.isFreed());
            assertEquals(1, fake.liveDelegates());
            IllegalStateException late = assertThrows(IllegalStateException.class,
                    () -> TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate(d)));
            assertTrue(late.getMessage().contains("closed"), late.getMessage());
            byte[] in = {5, 6, 7, 8};
            a.close();
            assertFalse(d.isFreed());
            assertArrayEquals(FakeEdgeTpu.predict(in, 0, 0, 6), bytes(b.run(List.of(FakeEdgeTpu.input(in))).get(0)));
            b.close();
            assertTrue(d.isFreed());
            assertEquals(0, fake.liveDelegates());
            d.close(); // idempotent
            b.close();
        });
    }

    @Test
    void interpretersClosedBeforeTheOwnerKeepTheDelegateAlive() throws Exception {
        fake.with(() -> {
            try (Delegate d = Delegate.create("edgetpu")) {
                for (int i = 0; i < 3; i++) {
                    try (TfliteInterpreter t = TfliteInterpreter.create(model, TfliteOptions.defaults().withDelegate(d))) {
                        t.invoke();
                    }
                    assertFalse(d.isFreed());
                    assertEquals(0, d.users());
                }
            }
            assertEquals(0, fake.liveDelegates());
        });
    }

    @Test
    void failureModesAreTypedAndSayWhatToDo() throws Exception {
        // library missing
        String old = System.getProperty(EdgeTpuRuntime.PROPERTY);
        System.setProperty(EdgeTpuRuntime.PROPERTY, "/nonexistent/libedgetpu.so.1");
        try {
            NativeLibraryException e = assertThrows(NativeLibraryException.class, () -> Delegate.create("edgetpu"));
            assertTrue(e.getMessage().contains("libedgetpu1-std"), e.getMessage());
            EdgeTpuRuntime.Probe p = EdgeTpuRuntime.probe();
            assertFalse(p.available());
        } finally {
            if (old == null) {
                System.clearProperty(EdgeTpuRuntime.PROPERTY);
            } else {
                System.setProperty(EdgeTpuRuntime.PROPERTY, old);
            }
        }
        fake.with(() -> {
            // no device
            fake.configure("devices", "0");
            DelegateException none = assertThrows(DelegateException.class, () -> Delegate.create("edgetpu"));
            assertEquals(DelegateException.Reason.NO_DEVICE, none.reason());
            assertTrue(none.getMessage().startsWith("no Edge TPU found"), none.getMessage());
            assertTrue(none.getMessage().contains("whittle devices"), none.getMessage());
            // fewer devices than the index
            fake.configure("devices", "1");
            DelegateException index = assertThrows(DelegateException.class, () -> Delegate.create("edgetpu:usb:1"));
            assertEquals(DelegateException.Reason.NO_DEVICE, index.reason());
            DelegateException type = assertThrows(DelegateException.class, () -> Delegate.create("edgetpu:pci"));
            assertTrue(type.getMessage().contains("none on pci"), type.getMessage());
            // device busy, from the driver's state or an option: libedgetpu returns no delegate
            fake.configure("busy", "1");
            DelegateException busy = assertThrows(DelegateException.class, () -> Delegate.create("edgetpu"));
            assertEquals(DelegateException.Reason.DEVICE_UNAVAILABLE, busy.reason());
            assertTrue(busy.getMessage().contains("busy"), busy.getMessage());
            fake.configure("busy", "0");
            assertThrows(DelegateException.class, () -> Delegate.create("edgetpu,Fake.Busy=1"));
            // a per-interpreter delegate that cannot be created leaves nothing behind
            assertThrows(DelegateException.class, () -> TfliteInterpreter.create(model,
                    TfliteOptions.defaults().withDelegate("edgetpu,Fake.Busy=1")));
            assertEquals(0, fake.liveDelegates());
        });
        // a plugin that returns no delegate: its reported message in a typed error
        DelegateException plugin = assertThrows(DelegateException.class,
                () -> Delegate.create("external:" + fake.library() + ",Fake.Busy=1"));
        assertEquals(DelegateException.Reason.CREATE_FAILED, plugin.reason());
        assertTrue(plugin.getMessage().contains("returned no delegate") && plugin.getMessage().contains("busy"),
                plugin.getMessage());
        assertEquals(0, fake.liveDelegates());
        // a compiled model without the delegate
        DelegateException missing = assertThrows(DelegateException.class,
                () -> TfliteInterpreter.create(model, TfliteOptions.defaults()));
        assertEquals(DelegateException.Reason.DELEGATE_REQUIRED, missing.reason());
        assertTrue(missing.getMessage().contains("--backend tflite --delegate edgetpu"), missing.getMessage());
        // an Edge TPU model given to Whittle's own runtime, refused before any work
        Model m = ModelReader.read(ByteBuffer.wrap(model));
        UnsupportedModelException whittle = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        assertTrue(whittle.getMessage().contains("--backend tflite --delegate edgetpu"), whittle.getMessage());
    }

    @Test
    void tenThousandCreateRunCloseCyclesLeakNothing() throws Exception {
        fake.with(() -> {
            byte[] in = {1, 2, 3, 4};
            List<TensorData> inputs = List.of(FakeEdgeTpu.input(in));
            byte[] expected = FakeEdgeTpu.predict(in, 0, 0, 6);
            DelegateSpec spec = DelegateSpec.parse("edgetpu");
            long rssBefore = 0;
            for (int i = 0; i < 10_000; i++) {
                if (i == 1_000) {
                    System.gc();
                    rssBefore = rssKiB();
                }
                try (Delegate d = Delegate.create(spec, 1);
                     TfliteInterpreter t = TfliteInterpreter.create(model, TfliteOptions.defaults().useXnnpack(false)
                             .withDelegate(d))) {
                    byte[] got = t.run(inputs).get(0).bytes();
                    if (i % 1000 == 0) {
                        assertArrayEquals(expected, got);
                    }
                }
            }
            assertEquals(0, fake.liveDelegates());
            System.gc();
            long grown = rssKiB() - rssBefore;
            // Loose: 9,000 cycles that leaked even one model copy (~0.5 KiB) or one delegate
            // would add several MiB; allocator and JIT noise stays well under this.
            assertTrue(rssBefore == 0 || grown < 48 * 1024, "RSS grew by " + grown + " KiB over 9,000 cycles");
        });
    }

    private static long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }

    @Test
    void eightThreadsShareOneDeviceAndMatchASerialRun() throws Exception {
        int threads = 8;
        int invokes = 1000;
        fake.with(() -> {
            try (Delegate d = Delegate.create("edgetpu,Fake.Salt=11")) {
                TfliteOptions opts = TfliteOptions.defaults().withDelegate(d);
                byte[][][] serial = new byte[threads][invokes][];
                try (TfliteInterpreter t = TfliteInterpreter.create(model, opts)) {
                    for (int th = 0; th < threads; th++) {
                        for (int i = 0; i < invokes; i++) {
                            serial[th][i] = t.run(List.of(input(th, i))).get(0).bytes();
                        }
                    }
                }
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                try {
                    List<Future<byte[][]>> results = new ArrayList<>();
                    for (int th = 0; th < threads; th++) {
                        int me = th;
                        results.add(pool.submit(() -> {
                            byte[][] got = new byte[invokes][];
                            // each thread its own interpreter, all on one delegate and device
                            try (TfliteInterpreter t = TfliteInterpreter.create(model, opts)) {
                                for (int i = 0; i < invokes; i++) {
                                    got[i] = t.run(List.of(input(me, i))).get(0).bytes();
                                }
                            }
                            return got;
                        }));
                    }
                    for (int th = 0; th < threads; th++) {
                        byte[][] got = results.get(th).get();
                        for (int i = 0; i < invokes; i++) {
                            assertArrayEquals(serial[th][i], got[i], "thread " + th + " invoke " + i);
                        }
                    }
                } finally {
                    pool.shutdown();
                }
                assertEquals(2L * threads * invokes, fake.invokes());
                assertArrayEquals(FakeEdgeTpu.predict(bytesOf(3, 999), 11, 0, 6), serial[3][999], "the fake's rule");
            }
            assertEquals(0, fake.liveDelegates());
        });
    }

    private static byte[] bytesOf(int thread, int i) {
        return new byte[] {(byte) thread, (byte) i, (byte) (i >> 8), (byte) (thread * 31 + i)};
    }

    private static TensorData input(int thread, int i) {
        return FakeEdgeTpu.input(bytesOf(thread, i));
    }
}
