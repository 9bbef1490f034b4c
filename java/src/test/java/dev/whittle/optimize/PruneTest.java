package dev.whittle.optimize;

import dev.whittle.TensorData;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.DemoModels;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.testing.SharedData;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.whittle.optimize.OptimizeTestSupport.roundTrip;
import static dev.whittle.optimize.OptimizeTestSupport.runEverywhere;
import static dev.whittle.optimize.OptimizeTestSupport.weights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PruneTest {
    private static final WeightSelection ALL = new WeightSelection(null, null, true);

    @Test
    void selectionTakesConvAndFullyConnectedWeightsNeverBiasesAndDepthwiseOnRequest() {
        Model m = DemoModels.smallCnn(1);
        List<String> names = WeightSelection.DEFAULT.select(m).stream().map(Layer::name).toList();
        assertEquals(List.of("conv1/weights", "pw1/weights", "logits/weights"), names);
        assertEquals(4, ALL.select(m).size());
        assertEquals(List.of("pw1/weights"), new WeightSelection("pw", null, false).select(m).stream().map(Layer::name).toList());
        assertEquals(2, new WeightSelection(null, "conv1", false).select(m).size());
    }

    @Test
    void exactSparsityPerLayerAndNothingElseChanges() {
        Model m = DemoModels.smallCnn(2);
        for (double s : new double[] {0, 0.1, 0.37, 0.5, 0.9}) {
            Model out = roundTrip(new Pruner(PruneOptions.sparsity(s).withSelection(ALL), null).apply(m).model());
            for (WeightData w : weights(out, ALL)) {
                assertEquals(Math.round(s * w.size()), w.zeros(), w.layer.name() + " at " + s);
            }
            // biases and the input model are untouched
            assertEquals(m.constantData(m.mainGraph().tensor(index(m, "conv1/bias"))),
                    out.constantData(out.mainGraph().tensor(index(out, "conv1/bias"))));
            runEverywhere(out, 7);
        }
        assertEquals(0, weights(m, ALL).get(0).zeros());
    }

    @Test
    void magnitudePruningRemovesTheSmallestWeightsDeterministically() {
        Model m = DemoModels.smallCnn(3);
        Model a = new Pruner(PruneOptions.sparsity(0.5), null).apply(m).model();
        Model b = new Pruner(PruneOptions.sparsity(0.5), null).apply(m).model();
        assertArrayEquals(ModelWriter.toBytes(a), ModelWriter.toBytes(b));
        WeightData before = weights(m, WeightSelection.DEFAULT).get(1);
        WeightData after = weights(a, WeightSelection.DEFAULT).get(1);
        float maxPruned = 0;
        float minKept = Float.MAX_VALUE;
        for (int i = 0; i < before.size(); i++) {
            if (after.values[i] == 0) {
                maxPruned = Math.max(maxPruned, Math.abs(before.values[i]));
            } else {
                assertEquals(before.values[i], after.values[i]);
                minKept = Math.min(minKept, Math.abs(before.values[i]));
            }
        }
        assertTrue(maxPruned <= minKept);
    }

    @Test
    void globalThresholdHitsTheTotalCount() {
        Model m = DemoModels.smallCnn(4);
        Model out = new Pruner(PruneOptions.sparsity(0.6).withGlobal(true), null).apply(m).model();
        List<WeightData> ws = weights(out, WeightSelection.DEFAULT);
        long n = ws.stream().mapToLong(WeightData::size).sum();
        long z = ws.stream().mapToLong(WeightData::zeros).sum();
        assertEquals(Math.round(0.6 * n), z);
        // one threshold: layers end up with different sparsities
        assertNotEquals(ws.get(0).zeros() * ws.get(1).size(), ws.get(1).zeros() * ws.get(0).size());
    }

    @Test
    void patternConformsInEveryGroupAlongTheInputChannel() {
        Model m = DemoModels.smallCnn(5);
        WeightSelection sel = new WeightSelection(null, "conv1", false);
        for (int[] p : new int[][] {{2, 4}, {1, 2}, {3, 8}, {1, 4}}) {
            Model out = roundTrip(new Pruner(PruneOptions.pattern(p[0], p[1]).withSelection(sel), null).apply(m).model());
            for (WeightData w : weights(out, sel)) {
                assertTrue(WeightStats.conforms(w, p[0], p[1]), w.layer.name() + " " + p[0] + ":" + p[1]);
                assertEquals((long) w.size() / p[1] * p[0], w.zeros());
            }
            runEverywhere(out, 8);
        }
    }

    @Test
    void patternThatDoesNotDivideTheChannelsIsAnErrorBeforeAnyWork() {
        Model m = DemoModels.smallCnn(6);
        byte[] before = ModelWriter.toBytes(m);
        BadParameterException e = assertThrows(BadParameterException.class,
                () -> new Pruner(PruneOptions.pattern(2, 4), null).apply(m));
        assertTrue(e.getMessage().contains("conv1/weights") && e.getMessage().contains("3 input channels"), e.getMessage());
        assertArrayEquals(before, ModelWriter.toBytes(m));
    }

    @Test
    void blocksAreAllZeroOrUntouched() {
        Model m = DemoModels.smallCnn(7);
        WeightSelection sel = new WeightSelection(null, "conv1", false);
        int r = 2;
        int c = 4;
        Model out = roundTrip(new Pruner(PruneOptions.block(r, c, 0.5).withSelection(sel), null).apply(m).model());
        List<WeightData> before = weights(m, sel);
        List<WeightData> after = weights(out, sel);
        for (int k = 0; k < after.size(); k++) {
            WeightData a = after.get(k);
            WeightData b = before.get(k);
            int rowsPerO = a.size() / a.shape[0] / a.lastDim();
            int blocks = a.size() / (r * c);
            int zeroBlocks = 0;
            for (int blk = 0; blk < blocks; blk++) {
                int[] e = Pruner.blockElements(a, blk, r, c, rowsPerO);
                int z = 0;
                for (int i : e) {
                    if (a.values[i] == 0) {
                        z++;
                    } else {
                        assertEquals(b.values[i], a.values[i]);
                    }
                }
                assertTrue(z == 0 || z == e.length, "block " + blk + " of " + a.layer.name() + " is partly zero");
                zeroBlocks += z == e.length ? 1 : 0;
            }
            assertEquals(Math.round(0.5 * blocks), zeroBlocks, a.layer.name());
        }
        assertThrows(BadParameterException.class, () -> new Pruner(PruneOptions.block(3, 4, 0.5).withSelection(sel), null).check(m));
        runEverywhere(out, 9);
    }

    @Test
    void badParametersAreClearErrors() {
        Model m = DemoModels.smallCnn(8);
        assertThrows(BadParameterException.class, () -> PruneOptions.sparsity(1.0));
        assertThrows(BadParameterException.class, () -> PruneOptions.sparsity(-0.1));
        assertThrows(BadParameterException.class, () -> PruneOptions.sparsity(Double.NaN));
        assertThrows(BadParameterException.class, () -> PruneOptions.pattern(4, 4));
        assertThrows(BadParameterException.class, () -> PruneOptions.pattern(0, 4));
        assertThrows(BadParameterException.class, () -> PruneOptions.pattern(1, 1));
        assertThrows(BadParameterException.class, () -> PruneOptions.pattern(2, 4).withGlobal(true));
        assertThrows(BadParameterException.class, () -> new WeightSelection("(", null, false));
        BadParameterException e = assertThrows(BadParameterException.class,
                () -> new WeightSelection("no-such-layer", null, false).select(m));
        assertTrue(e.getMessage().contains("matches none"), e.getMessage());
        assertThrows(BadParameterException.class, () -> new WeightSelection(null, "no-such-layer", false).select(m));
        assertThrows(BadParameterException.class, () -> new WeightSelection("conv1", "conv1", false).select(m));
        assertThrows(BadParameterException.class,
                () -> new Pruner(PruneOptions.sparsity(0.5).withMethod(PruneOptions.Method.DATA_AWARE), null));
    }

    @Test
    void int8AndUint8ModelsStayValidAndRun() {
        for (String name : new String[] {"person_detect_int8.tflite", "mobilenet_v1_0.25_224_quant.tflite"}) {
            Model m = ModelReader.read(SharedData.model(name));
            Model out = roundTrip(new Pruner(PruneOptions.sparsity(0.5), null).apply(m).model());
            for (WeightData w : weights(out, WeightSelection.DEFAULT)) {
                assertTrue(w.quantized());
                assertEquals(Math.round(0.5 * w.size()), w.zeros(), name + " " + w.layer.name());
            }
            runEverywhere(out, 10);
        }
    }

    @Test
    void dataAwarePruningKeepsExactSparsityAndCorrectsBiases() {
        Model m = ModelReader.read(SharedData.model("mobilenet_v1_0.25_224_float.tflite"));
        CalibrationSet cal = CalibrationSet.of(List.of(SharedData.image("bird.bmp"), SharedData.image("owl.jpg")), 4,
                Preprocessing.MOBILENET);
        WeightSelection sel = new WeightSelection("Conv2d_1[23]_pointwise|Logits", null, false);
        StepResult r = new Pruner(PruneOptions.sparsity(0.5).withMethod(PruneOptions.Method.DATA_AWARE)
                .withSelection(sel), cal).apply(m);
        assertEquals(3, r.layers().size());
        for (StepResult.LayerReport l : r.layers()) {
            assertEquals(Math.round(0.5 * l.elements()), l.zerosAfter(), l.name());
            assertTrue(l.biasCorrected(), l.name());
        }
        runEverywhere(roundTrip(r.model()), 11);
    }

    @Test
    void sparseFormatForFullyConnectedRunsInTfliteAndMatchesTheDenseModel() {
        Model m = ModelReader.read(SharedData.model("hello_world_float.tflite"));
        StepResult r = new Pruner(PruneOptions.sparsity(0.75), null).apply(m);
        SparseFormat.check(m, WeightSelection.DEFAULT);
        Model sparse = roundTrip(SparseFormat.encode(r.model(), r.layers()));
        assertTrue(sparse.mainGraph().tensors().stream().anyMatch(t -> t.sparsity() != null));
        for (long seed = 0; seed < 5; seed++) {
            TensorData in = OptimizeTestSupport.randomInput(m, seed);
            double[] dense = run(r.model(), in, true);
            // TFLite's builtin FULLY_CONNECTED kernel reads the CSR weights; the XNNPACK delegate
            // of TFLite 2.20 does not (see SparseFormat), so the check runs without it.
            double[] got = run(sparse, in, false);
            for (int i = 0; i < dense.length; i++) {
                assertEquals(dense[i], got[i], 1e-5);
            }
        }
        BadParameterException e = assertThrows(BadParameterException.class,
                () -> SparseFormat.check(DemoModels.smallCnn(1), WeightSelection.DEFAULT));
        assertTrue(e.getMessage().contains("FULLY_CONNECTED"), e.getMessage());
    }

    private static double[] run(Model m, TensorData in, boolean xnnpack) {
        try (TfliteInterpreter t = TfliteInterpreter.create(ModelWriter.toBytes(m), TfliteOptions.defaults().useXnnpack(xnnpack))) {
            return t.run(List.of(in)).get(0).toDoubleArray();
        }
    }

    private static int index(Model m, String name) {
        for (int i = 0; i < m.mainGraph().tensorCount(); i++) {
            if (name.equals(m.mainGraph().tensor(i).name())) {
                return i;
            }
        }
        throw new AssertionError("no tensor " + name);
    }

    @Test
    void existingZerosCountAndStayZero() {
        Model m = DemoModels.smallCnn(9);
        Model half = new Pruner(PruneOptions.sparsity(0.5), null).apply(m).model();
        Model less = new Pruner(PruneOptions.sparsity(0.2), null).apply(half).model();
        List<WeightData> a = weights(half, WeightSelection.DEFAULT);
        List<WeightData> b = weights(less, WeightSelection.DEFAULT);
        for (int k = 0; k < a.size(); k++) {
            assertArrayEquals(a.get(k).values, b.get(k).values);
        }
        assertFalse(a.isEmpty());
    }
}
