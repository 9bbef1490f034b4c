package dev.whittle.tflite;

import dev.whittle.BackendException;
import dev.whittle.InvalidInputException;
import dev.whittle.ModelFormatException;
import dev.whittle.TensorData;
import dev.whittle.WhittleException;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TfliteInterpreterTest {
    private static final String UNRESOLVED = "Encountered unresolved custom op";
    private static final String BAD_QUANT_DIM = "quantized_dimension must be in range [0, 1). Was 3.";

    private static Path models;

    @BeforeAll
    static void findModels() {
        Path shared = Path.of(System.getProperty("whittle.shared", "../shared"));
        models = shared.resolve("models");
        Assumptions.assumeTrue(Files.isDirectory(models), "shared models not found at " + models.toAbsolutePath());
    }

    private static Path model(String name) {
        Path p = models.resolve(name);
        Assumptions.assumeTrue(Files.isRegularFile(p), "shared model not found at " + p.toAbsolutePath());
        return p;
    }

    /** A smooth, deterministic image-like input in [lo, hi]. */
    private static TensorData pattern(TensorType type, int[] shape, double lo, double hi) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(type.bytesFor(n))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            double v = lo + (hi - lo) * (0.5 + 0.5 * Math.sin(i * 0.01) * Math.cos(i * 0.0007));
            switch (type) {
                case FLOAT32 -> b.putFloat((float) v);
                case UINT8 -> b.put((byte) Math.round(v));
                default -> throw new IllegalArgumentException(type.toString());
            }
        }
        b.flip();
        return new TensorData(type, shape, b);
    }

    private static double sum(double[] v) {
        return Arrays.stream(v).sum();
    }

    @Test
    void errorCaptureWorksOnThisPlatform() {
        TfliteNative.ensureLoaded();
        assertNull(CapturingErrorReporter.unavailableReason());
    }

    @Test
    void mobilenetV1FloatGivesAProbabilityDistribution() throws IOException {
        try (TfliteInterpreter tfl = TfliteInterpreter.create(model("mobilenet_v1_0.25_224_float.tflite"),
                TfliteOptions.defaults())) {
            assertEquals(1, tfl.inputCount());
            assertEquals(1, tfl.outputCount());
            TensorInfo in = tfl.inputInfo(0);
            assertEquals(TensorType.FLOAT32, in.type());
            assertArrayEquals(new int[] {1, 224, 224, 3}, in.shape());
            assertFalse(in.name().isEmpty());
            tfl.setInput(0, pattern(TensorType.FLOAT32, in.shape(), -1, 1));
            tfl.invoke();
            TensorData out = tfl.output(0);
            assertEquals(TensorType.FLOAT32, out.type());
            assertArrayEquals(new int[] {1, 1001}, out.shape());
            assertEquals(1.0, sum(out.toDoubleArray()), 1e-3);
        }
    }

    @Test
    void mobilenetV2QuantRunsOnUint8() throws IOException {
        try (TfliteInterpreter tfl = TfliteInterpreter.create(model("mobilenet_v2_1.0_224_quant.tflite"),
                TfliteOptions.defaults())) {
            TensorInfo in = tfl.inputInfo(0);
            assertEquals(TensorType.UINT8, in.type());
            assertTrue(in.isQuantized());
            TensorInfo outInfo = tfl.outputInfo(0);
            assertEquals(TensorType.UINT8, outInfo.type());
            assertNotNull(outInfo.quantization());
            TensorData out = tfl.run(List.of(pattern(TensorType.UINT8, in.shape(), 0, 255))).getFirst();
            assertArrayEquals(new int[] {1, 1001}, out.shape());
            TensorInfo.Quantization q = outInfo.quantization();
            double total = Arrays.stream(out.toDoubleArray()).map(v -> q.scale() * (v - q.zeroPoint())).sum();
            // 1001 probabilities quantized to steps of 1/256: the many tiny ones round to 0
            assertTrue(total > 0.8 && total < 1.05, "dequantized sum " + total);
        }
    }

    @Test
    void helloWorldApproximatesSine() throws IOException {
        try (TfliteInterpreter tfl = TfliteInterpreter.create(model("hello_world_float.tflite"),
                TfliteOptions.defaults())) {
            TensorData x = new TensorData(TensorType.FLOAT32, tfl.inputInfo(0).shape(),
                    ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, (float) (Math.PI / 2)));
            TensorData y = tfl.run(List.of(x)).getFirst();
            assertEquals(1.0, y.getDouble(0), 0.2);
        }
    }

    @Test
    void directByteBufferWithOffsetIsCopiedFromItsPosition() throws IOException {
        byte[] bytes = Files.readAllBytes(model("hello_world_float.tflite"));
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length + 7);
        direct.position(7);
        direct.put(bytes).position(7);
        try (TfliteInterpreter tfl = TfliteInterpreter.create(direct, TfliteOptions.defaults())) {
            assertEquals(7, direct.position());
            assertEquals(1, tfl.inputCount());
            TensorData y = tfl.run(List.of(TensorData.zeros(TensorType.FLOAT32, 1, 1))).getFirst();
            assertEquals(0.0, y.getDouble(0), 0.2);
        }
    }

    @Test
    void resizeInputRunsABatch() throws IOException {
        try (TfliteInterpreter tfl = TfliteInterpreter.create(model("hello_world_float.tflite"),
                TfliteOptions.defaults())) {
            tfl.resizeInput(0, 3, 1);
            assertArrayEquals(new int[] {3, 1}, tfl.inputInfo(0).shape());
            ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            b.putFloat(0f).putFloat((float) (Math.PI / 2)).putFloat((float) (3 * Math.PI / 2)).flip();
            tfl.setInput(0, new TensorData(TensorType.FLOAT32, new int[] {3, 1}, b));
            tfl.invoke();
            double[] y = tfl.output(0).toDoubleArray();
            assertEquals(3, y.length);
            assertEquals(0.0, y[0], 0.2);
            assertEquals(1.0, y[1], 0.2);
            assertEquals(-1.0, y[2], 0.2);
        }
    }

    @Test
    void xnnpackOnAndOffAgreeAndTwoThreadsWork() throws IOException {
        Path p = model("mobilenet_v1_0.25_224_float.tflite");
        TensorData input = pattern(TensorType.FLOAT32, new int[] {1, 224, 224, 3}, -1, 1);
        double[][] results = new double[3][];
        TfliteOptions[] variants = {
            TfliteOptions.defaults(),
            TfliteOptions.defaults().useXnnpack(false),
            TfliteOptions.defaults().threads(2),
        };
        for (int v = 0; v < variants.length; v++) {
            try (TfliteInterpreter tfl = TfliteInterpreter.create(p, variants[v])) {
                results[v] = tfl.run(List.of(input)).getFirst().toDoubleArray();
            }
            assertEquals(1.0, sum(results[v]), 1e-3, variants[v].toString());
        }
        for (int v = 1; v < variants.length; v++) {
            for (int i = 0; i < results[0].length; i++) {
                assertEquals(results[0][i], results[v][i], 1e-3, variants[v] + " class " + i);
            }
        }
    }

    @Test
    void preservedIntermediatesAreReadable() throws IOException {
        TfliteOptions opts = TfliteOptions.defaults().useXnnpack(false).preserveAllTensors(true);
        try (TfliteInterpreter tfl = TfliteInterpreter.create(model("hello_world_float.tflite"), opts)) {
            tfl.setInput(0, new TensorData(TensorType.FLOAT32, new int[] {1, 1},
                    ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 1.0f)));
            tfl.invoke();
            int in = tfl.inputTensorIndex(0);
            int out = tfl.outputTensorIndex(0);
            int nonZeroIntermediates = 0;
            for (int t = 0; t < tfl.tensorCount(); t++) {
                TensorInfo info = tfl.tensorInfo(t);
                if (t == in || t == out || info.type() != TensorType.FLOAT32) {
                    continue;
                }
                TensorData d = tfl.tensor(t);
                assertArrayEquals(info.shape(), d.shape());
                if (Arrays.stream(d.toDoubleArray()).anyMatch(x -> x != 0)) {
                    nonZeroIntermediates++;
                }
            }
            assertTrue(nonZeroIntermediates > 0, "no readable intermediate tensor");
        }
    }

    @Test
    void unresolvedCustomOpCarriesTfliteMessage() {
        BackendException e = assertThrows(BackendException.class,
                () -> TfliteInterpreter.create(model("invalid_model_invoking_error.tflite"), TfliteOptions.defaults()));
        assertTrue(e.getMessage().contains(UNRESOLVED), e.getMessage());
    }

    @Test
    void invalidQuantizedDimensionCarriesTfliteMessage() {
        BackendException e = assertThrows(BackendException.class,
                () -> TfliteInterpreter.create(model("person_detect_int8.tflite"), TfliteOptions.defaults()));
        assertTrue(e.getMessage().contains(BAD_QUANT_DIM), e.getMessage());
    }

    @Test
    void garbageBytesAreRejectedWithoutCrashing() throws IOException {
        Random rnd = new Random(42);
        byte[] random = new byte[4096];
        rnd.nextBytes(random);
        assertThrows(ModelFormatException.class, () -> TfliteInterpreter.create(random, TfliteOptions.defaults()));
        assertThrows(ModelFormatException.class, () -> TfliteInterpreter.create(new byte[3], TfliteOptions.defaults()));

        byte[] withId = random.clone();
        System.arraycopy("TFL3".getBytes(), 0, withId, 4, 4);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> TfliteInterpreter.create(withId, TfliteOptions.defaults()));
        assertTrue(e.getMessage().contains("TFLite rejected"), e.getMessage());

        byte[] real = Files.readAllBytes(model("mobilenet_v1_0.25_224_float.tflite"));
        for (int len : new int[] {8, 100, real.length / 2, real.length - 1}) {
            byte[] cut = Arrays.copyOf(real, len);
            WhittleException w = assertThrows(WhittleException.class,
                    () -> TfliteInterpreter.create(cut, TfliteOptions.defaults()), "truncated to " + len);
            assertTrue(w instanceof ModelFormatException || w instanceof BackendException, w.toString());
        }
    }

    @Test
    void wrongInputsAreRejectedNamingTheInput() throws IOException {
        try (TfliteInterpreter tfl = TfliteInterpreter.create(model("mobilenet_v1_0.25_224_float.tflite"),
                TfliteOptions.defaults())) {
            String name = tfl.inputInfo(0).name();
            InvalidInputException size = assertThrows(InvalidInputException.class,
                    () -> tfl.setInput(0, TensorData.zeros(TensorType.FLOAT32, 1, 128, 128, 3)));
            assertTrue(size.getMessage().contains(name), size.getMessage());
            assertTrue(size.getMessage().contains("602112 bytes"), size.getMessage());
            InvalidInputException type = assertThrows(InvalidInputException.class,
                    () -> tfl.setInput(0, TensorData.zeros(TensorType.UINT8, 1, 224, 224, 3)));
            assertTrue(type.getMessage().contains(name), type.getMessage());
            assertThrows(InvalidInputException.class, () -> tfl.run(List.of()));
            assertThrows(IndexOutOfBoundsException.class, () -> tfl.inputInfo(1));
            assertThrows(InvalidInputException.class, () -> tfl.resizeInput(0, 1, -2, 3, 3));
        }
        assertThrows(InvalidInputException.class, () -> TfliteOptions.defaults().threads(0));
        assertDoesNotThrow(() -> TfliteOptions.defaults().threads(TfliteOptions.DEFAULT_THREADS));
    }

    @Test
    void useAfterCloseIsAnIllegalState() throws IOException {
        TfliteInterpreter tfl = TfliteInterpreter.create(model("hello_world_float.tflite"), TfliteOptions.defaults());
        tfl.close();
        tfl.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, tfl::invoke);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> tfl.output(0));
        assertThrows(IllegalStateException.class, tfl::inputCount);
        assertThrows(IllegalStateException.class, () -> tfl.setInput(0, TensorData.zeros(TensorType.FLOAT32, 1, 1)));
    }

    @Test
    void concurrentFailuresKeepTheirOwnMessages() throws Exception {
        byte[] custom = Files.readAllBytes(model("invalid_model_invoking_error.tflite"));
        byte[] person = Files.readAllBytes(model("person_detect_int8.tflite"));
        int rounds = 25;
        CyclicBarrier barrier = new CyclicBarrier(2);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<List<String>> a = pool.submit(() -> failRepeatedly(custom, rounds, barrier));
            Future<List<String>> b = pool.submit(() -> failRepeatedly(person, rounds, barrier));
            for (String m : a.get(120, TimeUnit.SECONDS)) {
                assertTrue(m.contains(UNRESOLVED), m);
                assertFalse(m.contains("quantized_dimension"), m);
            }
            for (String m : b.get(120, TimeUnit.SECONDS)) {
                assertTrue(m.contains(BAD_QUANT_DIM), m);
                assertFalse(m.contains("custom op"), m);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<String> failRepeatedly(byte[] model, int rounds, CyclicBarrier barrier) throws Exception {
        List<String> messages = new ArrayList<>();
        for (int i = 0; i < rounds; i++) {
            barrier.await(60, TimeUnit.SECONDS);
            try (TfliteInterpreter tfl = TfliteInterpreter.create(model, TfliteOptions.defaults())) {
                messages.add("unexpectedly built " + tfl.tensorCount() + " tensors");
            } catch (BackendException e) {
                messages.add(e.getMessage());
            }
        }
        return messages;
    }

    @Test
    void everySharedModelLoadsAndInvokesOnZeros() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(models)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".tflite"))
                    .filter(p -> !p.getFileName().toString().endsWith("_edgetpu.tflite"))
                    .filter(p -> !p.getFileName().toString().equals("invalid_model_invoking_error.tflite"))
                    .filter(p -> !p.getFileName().toString().startsWith("person_detect"))
                    .sorted()
                    .toList();
        }
        assertFalse(files.isEmpty());
        for (Path p : files) {
            try (TfliteInterpreter tfl = TfliteInterpreter.create(p, TfliteOptions.defaults())) {
                for (int i = 0; i < tfl.inputCount(); i++) {
                    TensorInfo info = tfl.inputInfo(i);
                    tfl.setInput(i, TensorData.zeros(info.type(), info.shape()));
                }
                tfl.invoke();
                StringBuilder line = new StringBuilder(p.getFileName().toString()).append(": ");
                for (int o = 0; o < tfl.outputCount(); o++) {
                    TensorData out = tfl.output(o);
                    assertEquals(tfl.outputInfo(o).type(), out.type());
                    line.append(o == 0 ? "" : ", ").append(out);
                }
                System.out.println(line);
            } catch (WhittleException e) {
                throw new AssertionError(p.getFileName() + ": " + e.getMessage(), e);
            }
        }
    }
}
