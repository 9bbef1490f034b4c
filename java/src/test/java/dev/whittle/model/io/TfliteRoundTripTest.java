package dev.whittle.model.io;

import dev.whittle.BackendException;
import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.testing.SharedData;
import dev.whittle.tflite.TensorInfo;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A model read by {@link ModelReader} and written unchanged by {@link ModelWriter} means the
 * same to the real TFLite: it loads (past TFLite's flatbuffer verifier), and every output and
 * every intermediate tensor is byte-identical to what the original file gives on the same
 * inputs. The shared models that TFLite cannot run fail the same way before and after.
 */
class TfliteRoundTripTest {
    private static final TfliteOptions PLAIN = TfliteOptions.defaults().useXnnpack(false);
    private static final TfliteOptions XNNPACK = TfliteOptions.defaults().useXnnpack(true);
    private static final TfliteOptions PRESERVE = PLAIN.preserveAllTensors(true);
    private static final int RUNS = 3;
    private static final long SEED = 20250611L;

    private static final String PERSON_DETECT = "person_detect_int8.tflite";
    private static final String INVALID = "invalid_model_invoking_error.tflite";

    private static boolean isEdgeTpu(Path p) {
        return p.getFileName().toString().endsWith("_edgetpu.tflite");
    }

    private static boolean isSpecial(Path p) {
        String n = p.getFileName().toString();
        return isEdgeTpu(p) || n.equals(PERSON_DETECT) || n.equals(INVALID);
    }

    // ---- inputs ----

    /** Deterministic pseudo-random input sets (one list per run) matching the interpreter's inputs. */
    static List<List<TensorData>> inputSets(TfliteInterpreter tfl, long seed, int runs) {
        Random rnd = new Random(seed);
        List<List<TensorData>> sets = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            List<TensorData> set = new ArrayList<>();
            for (int i = 0; i < tfl.inputCount(); i++) {
                TensorInfo info = tfl.inputInfo(i);
                set.add(random(info.type(), info.shape(), rnd));
            }
            sets.add(set);
        }
        return sets;
    }

    static TensorData random(TensorType type, int[] shape, Random rnd) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(type.bytesFor(n))).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < n; i++) {
            switch (type) {
                case FLOAT32 -> b.putFloat(rnd.nextFloat() * 2f - 1f);
                case FLOAT64 -> b.putDouble(rnd.nextDouble() * 2 - 1);
                case FLOAT16 -> b.putShort(Float.floatToFloat16(rnd.nextFloat() * 2f - 1f));
                case INT8, UINT8 -> b.put((byte) rnd.nextInt(256));
                case INT16 -> b.putShort((short) rnd.nextInt(1 << 16));
                case UINT16 -> b.putShort((short) rnd.nextInt(1 << 16));
                // Integer inputs are usually indices or lengths: keep them small and valid.
                case INT32 -> b.putInt(rnd.nextInt(2));
                case INT64 -> b.putLong(rnd.nextInt(2));
                case BOOL -> b.put((byte) rnd.nextInt(2));
                default -> throw new IllegalArgumentException("no random input for type " + type);
            }
        }
        b.flip();
        return new TensorData(type, shape, b);
    }

    // ---- comparisons ----

    /** Runs both models on the same inputs and asserts every output is byte-identical; returns outputs compared. */
    private static int compareOutputs(String label, byte[] a, byte[] b, TfliteOptions opts, long seed) {
        int compared = 0;
        try (TfliteInterpreter ta = TfliteInterpreter.create(a, opts);
                TfliteInterpreter tb = TfliteInterpreter.create(b, opts)) {
            assertEquals(ta.inputCount(), tb.inputCount(), label + ": input count");
            assertEquals(ta.outputCount(), tb.outputCount(), label + ": output count");
            List<List<TensorData>> sets = inputSets(ta, seed, RUNS);
            for (int r = 0; r < sets.size(); r++) {
                List<TensorData> oa = ta.run(sets.get(r));
                List<TensorData> ob = tb.run(sets.get(r));
                for (int k = 0; k < oa.size(); k++) {
                    assertIdentical(label + " run " + r + " output " + k, oa.get(k), ob.get(k));
                    compared++;
                }
            }
        }
        return compared;
    }

    /**
     * Per-run counts summed over the runs. {@code compared}: model tensors (indices below the
     * model's tensor count) found byte-identical. {@code scratchSame}/{@code scratchDiffer}:
     * temporaries that kernels add after the model's tensors (LSTM, conv im2col...); their
     * contents are undefined, partly uninitialised arena memory (the same pair of files gives
     * identical scratch in a fresh JVM but not always after other interpreters have run in
     * this one: the bytes depend on heap history), so a difference there is counted, not failed. {@code skipped}: untyped or unreadable tensors.
     */
    private record TensorCounts(int compared, int scratchSame, int scratchDiffer, int skipped, int modelTensors, int total) {
    }

    /**
     * Every tensor of subgraph 0, with all tensors preserved and XNNPACK off: the model's own
     * tensors (activations, constants, inputs, outputs) must be byte-identical.
     */
    private static TensorCounts compareAllTensors(String label, byte[] a, byte[] b, int modelTensors, long seed) {
        int compared = 0;
        int scratchSame = 0;
        int scratchDiffer = 0;
        int skipped = 0;
        int total;
        try (TfliteInterpreter ta = TfliteInterpreter.create(a, PRESERVE);
                TfliteInterpreter tb = TfliteInterpreter.create(b, PRESERVE)) {
            total = ta.tensorCount();
            assertEquals(total, tb.tensorCount(), label + ": tensor count");
            assertTrue(total >= modelTensors, label + ": TFLite has fewer tensors than the model");
            List<List<TensorData>> sets = inputSets(ta, seed, RUNS);
            for (int r = 0; r < sets.size(); r++) {
                ta.run(sets.get(r));
                tb.run(sets.get(r));
                for (int t = 0; t < total; t++) {
                    TensorInfo ia = ta.tensorInfo(t);
                    TensorInfo ib = tb.tensorInfo(t);
                    assertEquals(ia.name(), ib.name(), label + " tensor " + t + " name");
                    assertEquals(ia.type(), ib.type(), label + " tensor " + t + " type");
                    assertArrayEquals(ia.shape(), ib.shape(), label + " tensor " + t + " shape");
                    if (ia.type() == null) {
                        skipped++;
                        continue;
                    }
                    TensorData da;
                    try {
                        da = ta.tensor(t);
                    } catch (BackendException e) {
                        // Unreadable in the original: must be unreadable in the copy too.
                        int index = t;
                        assertThrows(BackendException.class, () -> tb.tensor(index), label + " tensor " + t);
                        skipped++;
                        continue;
                    }
                    TensorData db = tb.tensor(t);
                    if (t >= modelTensors) {
                        if (Arrays.equals(da.bytes(), db.bytes())) {
                            scratchSame++;
                        } else {
                            scratchDiffer++;
                        }
                        continue;
                    }
                    assertIdentical(label + " run " + r + " tensor " + t + " '" + ia.name() + "'", da, db);
                    compared++;
                }
            }
        }
        assertTrue(compared >= RUNS * Math.min(modelTensors, 1), label + ": no model tensor compared");
        return new TensorCounts(compared, scratchSame, scratchDiffer, skipped, modelTensors, total);
    }

    private static void assertIdentical(String what, TensorData x, TensorData y) {
        assertEquals(x.type(), y.type(), what + ": type");
        assertArrayEquals(x.shape(), y.shape(), what + ": shape");
        byte[] bx = x.bytes();
        byte[] by = y.bytes();
        int diff = Arrays.mismatch(bx, by);
        if (diff >= 0) {
            fail(what + ": bytes differ first at byte " + diff + " of " + bx.length + "/" + by.length);
        }
    }

    /** The message of the BackendException TFLite throws when building and running the model once. */
    private static String tfliteFailure(byte[] bytes, TfliteOptions opts) {
        try (TfliteInterpreter t = TfliteInterpreter.create(bytes, opts)) {
            for (List<TensorData> set : inputSets(t, SEED, 1)) {
                t.run(set);
            }
        } catch (BackendException e) {
            return e.getMessage();
        }
        return null;
    }

    // ---- tests ----

    @Test
    void everyRunnableSharedModelGivesIdenticalOutputsAfterReadWrite() throws IOException {
        List<Path> models = SharedData.allModels().stream().filter(p -> !isSpecial(p)).toList();
        assertTrue(models.size() >= 10, "expected the shared models, found " + models.size());
        for (Path p : models) {
            String name = p.getFileName().toString();
            byte[] original = Files.readAllBytes(p);
            Model m = ModelReader.read(p);
            byte[] rewritten = ModelWriter.toBytes(m);
            long seed = SEED + name.hashCode();

            int plain = compareOutputs(name + " (no XNNPACK)", original, rewritten, PLAIN, seed);
            int xnn = compareOutputs(name + " (XNNPACK)", original, rewritten, XNNPACK, seed);
            TensorCounts all = compareAllTensors(name + " (all tensors)", original, rewritten, m.mainGraph().tensorCount(), seed);
            assertTrue(plain >= RUNS && xnn >= RUNS, name + ": no outputs compared");
            assertTrue(all.compared() > 0, name + ": no tensor compared");
            int inputs;
            try (TfliteInterpreter t = TfliteInterpreter.create(original, PLAIN)) {
                inputs = t.inputCount();
            }
            System.out.printf("tflite round trip %-42s %d runs x %d input(s); outputs %d (plain) + %d (xnnpack) identical;"
                            + " %d tensors (%d in the model) x %d runs: %d model tensors identical,"
                            + " scratch %d identical / %d differing, %d skipped (untyped/unreadable)%n",
                    name, RUNS, inputs, plain, xnn, all.total(), all.modelTensors(), RUNS, all.compared(),
                    all.scratchSame(), all.scratchDiffer(), all.skipped());
        }
    }

    @Test
    void personDetectLoadsOnlyAfterRepairAndRewritesStably() throws IOException {
        Path p = SharedData.model(PERSON_DETECT);
        byte[] original = Files.readAllBytes(p);
        BackendException e = assertThrows(BackendException.class, () -> TfliteInterpreter.create(original, PLAIN));
        assertTrue(e.getMessage().contains("quantized_dimension"), e.getMessage());

        Model m = ModelReader.read(p);
        assertTrue(ModelRepair.needsRepair(m));
        List<String> changes = ModelRepair.repair(m);
        assertFalse(changes.isEmpty(), "repair changed nothing");
        assertTrue(ModelValidator.validate(m).findings().isEmpty(), ModelValidator.validate(m).findings().toString());
        byte[] repaired = ModelWriter.toBytes(m);
        // Still refused before the repair: the rewrite alone does not fix it.
        assertThrows(BackendException.class, () -> TfliteInterpreter.create(ModelWriter.toBytes(ModelReader.read(p)), PLAIN));

        Model again = ModelReader.read(repaired);
        assertEquals(m, again);
        byte[] twice = ModelWriter.toBytes(again);
        assertArrayEquals(repaired, twice, "writing the re-read repaired model gives other bytes");

        long seed = SEED + PERSON_DETECT.hashCode();
        int plain = compareOutputs(PERSON_DETECT + " repaired (no XNNPACK)", repaired, twice, PLAIN, seed);
        int xnn = compareOutputs(PERSON_DETECT + " repaired (XNNPACK)", repaired, twice, XNNPACK, seed);
        TensorCounts all = compareAllTensors(PERSON_DETECT + " repaired (all tensors)", repaired, twice, m.mainGraph().tensorCount(), seed);
        assertTrue(all.compared() > 0);
        System.out.printf("tflite round trip %-42s original refused; %d repair(s); repaired write loads; outputs %d (plain) + %d"
                        + " (xnnpack) identical to the rewritten repair; model tensors %d identical, scratch %d/%d, %d skipped%n",
                PERSON_DETECT, changes.size(), plain, xnn, all.compared(), all.scratchSame(), all.scratchDiffer(), all.skipped());
    }

    @Test
    void invalidModelFailsTheSameWayBeforeAndAfter() throws IOException {
        Path p = SharedData.model(INVALID);
        byte[] original = Files.readAllBytes(p);
        byte[] rewritten = ModelWriter.toBytes(ModelReader.read(p));
        for (TfliteOptions opts : List.of(PLAIN, XNNPACK)) {
            String a = tfliteFailure(original, opts);
            String b = tfliteFailure(rewritten, opts);
            assertNotNull(a, "the original unexpectedly ran with " + opts);
            assertEquals(a, b, "TFLite's error differs after the rewrite");
        }
        System.out.printf("tflite round trip %-42s original and rewritten fail alike: %s%n", INVALID,
                tfliteFailure(original, PLAIN).replace('\n', ' '));
    }

    @Test
    void edgeTpuModelsNeedTheirDelegateBeforeAndAfter() throws IOException {
        List<Path> models = SharedData.allModels().stream().filter(TfliteRoundTripTest::isEdgeTpu).toList();
        assertFalse(models.isEmpty(), "no *_edgetpu.tflite in the shared models");
        for (Path p : models) {
            String name = p.getFileName().toString();
            byte[] original = Files.readAllBytes(p);
            Model m = ModelReader.read(p);
            byte[] rewritten = ModelWriter.toBytes(m);
            assertEquals(m, ModelReader.read(rewritten), name + ": rewritten model differs after reading");
            for (byte[] bytes : List.of(original, rewritten)) {
                for (TfliteOptions opts : List.of(PLAIN, XNNPACK)) {
                    String msg = tfliteFailure(bytes, opts);
                    assertNotNull(msg, name + " ran without the Edge TPU delegate");
                    assertTrue(msg.contains("edgetpu-custom-op"), msg);
                }
            }
            assertEquals(tfliteFailure(original, PLAIN), tfliteFailure(rewritten, PLAIN));
            System.out.printf("tflite round trip %-42s original and rewritten both need edgetpu-custom-op; model equal after read%n",
                    name);
        }
    }

    @Test
    void externalBuffersLoadInTfliteWithIdenticalOutputs(@TempDir Path dir) throws IOException {
        for (String name : List.of("mobilenet_v1_0.25_224_float.tflite", "mobilenet_v2_1.0_224_quant.tflite")) {
            Path p = SharedData.model(name);
            byte[] original = Files.readAllBytes(p);
            Model m = ModelReader.read(p);

            Path file = dir.resolve("external_" + name);
            ModelWriter.write(m, file, ModelWriter.BufferPlacement.EXTERNAL);
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            ModelWriter.write(m, stream, ModelWriter.BufferPlacement.EXTERNAL);
            byte[] external = Files.readAllBytes(file);
            assertArrayEquals(external, stream.toByteArray(), "file and stream forms differ");

            Model back = ModelReader.read(file);
            assertEquals(m, back, name + ": external form reads back to another model");
            assertArrayEquals(ModelWriter.toBytes(m), ModelWriter.toBytes(back), name + ": inline rewrite differs");

            long seed = SEED + name.hashCode();
            int plain = compareOutputs(name + " external (no XNNPACK)", original, external, PLAIN, seed);
            int xnn = compareOutputs(name + " external (XNNPACK)", original, external, XNNPACK, seed);
            TensorCounts all = compareAllTensors(name + " external (all tensors)", original, external, m.mainGraph().tensorCount(), seed);
            assertTrue(all.compared() > 0);
            System.out.printf("tflite external buffers %-36s %d -> %d bytes; outputs %d (plain) + %d (xnnpack) identical;"
                            + " model tensors %d identical, scratch %d/%d, %d skipped%n",
                    name, original.length, external.length, plain, xnn, all.compared(), all.scratchSame(), all.scratchDiffer(),
                    all.skipped());
        }
    }
}
