package dev.whittle.optimize;

import dev.whittle.TensorData;
import dev.whittle.io.Preprocessing;
import dev.whittle.model.DemoModels;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.quantize.CalibrationData;
import dev.whittle.quantize.Calibrator;
import dev.whittle.quantize.QuantizeOptions;
import dev.whittle.quantize.Quantizer;
import dev.whittle.quantize.RangeMethod;
import dev.whittle.testing.SharedData;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.whittle.optimize.OptimizeTestSupport.randomInput;
import static dev.whittle.optimize.OptimizeTestSupport.roundTrip;
import static dev.whittle.optimize.OptimizeTestSupport.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * prune -> cluster -> quantize: each step keeps what the one before made. Pruned zeros stay
 * zero (symmetric int8 weights map 0.0 to code 0) and every layer keeps its sparsity; N
 * clusters per layer (or per channel) leave at most N distinct int8 codes per layer (or per
 * channel); every output runs in TFLite's interpreter.
 */
class CompositionTest {
    private static final WeightSelection ALL = new WeightSelection(null, null, true);

    /** int8 with random calibration (MINMAX: no histogram pass, fast). */
    static Model quantize(Model m, QuantizeOptions.Mode mode) {
        QuantizeOptions o = QuantizeOptions.of(mode).withMethod(RangeMethod.MINMAX);
        Calibrator.ActivationStats stats = null;
        if (mode.needsCalibration()) {
            int[] shape = m.mainGraph().tensor(m.mainGraph().inputs()[0]).shape();
            CalibrationData d = CalibrationData.open("random", shape,
                    CalibrationData.Options.defaults().withSamples(4).withSeed(5));
            stats = Calibrator.collect(m, d, shape, false, Calibrator.Progress.NONE);
        }
        return roundTrip(Quantizer.quantize(m, o, stats).model());
    }

    /** Runs {@code m} in TFLite's interpreter on a random input; every output value is finite. */
    static void runsInTflite(Model m) {
        TensorData in = randomInput(m, 3);
        try (TfliteInterpreter t = TfliteInterpreter.create(ActivationStats.tfliteBytes(m), TfliteOptions.defaults())) {
            for (double v : t.run(List.of(in)).get(0).toDoubleArray()) {
                assertTrue(Double.isFinite(v), "TFLite output " + v);
            }
        }
    }

    private static Map<String, WeightData> byName(Model m, WeightSelection s) {
        Map<String, WeightData> out = new HashMap<>();
        for (WeightData w : weights(m, s)) {
            out.put(w.layer.name(), w);
        }
        return out;
    }

    /** Every float zero is an int8 zero and the reverse: same positions, so the same sparsity per layer. */
    static void zerosKept(Model before, Model after, WeightSelection s) {
        Map<String, WeightData> a = byName(after, s);
        for (WeightData b : weights(before, s)) {
            WeightData q = a.get(b.layer.name());
            assertTrue(q != null, "layer " + b.layer.name() + " missing after quantization");
            assertEquals(TensorType.INT8, q.type, b.layer.name());
            for (int i = 0; i < b.size(); i++) {
                assertEquals(b.values[i] == 0, q.values[i] == 0, b.layer.name() + " element " + i
                        + " float " + b.values[i] + " -> int8 " + q.values[i]);
            }
            assertEquals(b.zeros(), q.zeros(), b.layer.name());
        }
    }

    /** At most {@code n} distinct values per layer, or per output channel. */
    static void atMost(Model m, WeightSelection s, int n, boolean perChannel, String what) {
        for (WeightData w : weights(m, s)) {
            if (!perChannel) {
                assertTrue(w.distinct() <= n, what + " " + w.layer.name() + ": " + w.distinct() + " distinct values > " + n);
                continue;
            }
            for (int o = 0; o < w.outputChannels(); o++) {
                Set<Float> v = new HashSet<>();
                for (int i : w.channelIndices(o)) {
                    v.add(w.values[i]);
                }
                assertTrue(v.size() <= n, what + " " + w.layer.name() + " channel " + o + ": " + v.size() + " > " + n);
            }
        }
    }

    @Test
    void pruneThenInt8KeepsZerosAndSparsity() {
        Model m = DemoModels.smallCnn(31);
        for (WeightSelection s : new WeightSelection[] {WeightSelection.DEFAULT, ALL}) {
            Model pruned = new Pruner(PruneOptions.sparsity(0.5).withSelection(s), null).apply(m).model();
            Model q = quantize(pruned, QuantizeOptions.Mode.INT8);
            zerosKept(pruned, q, s);
            runsInTflite(q);
        }
        Model pattern = new Pruner(PruneOptions.pattern(2, 4).withSelection(new WeightSelection(null, "conv1", false)), null)
                .apply(m).model();
        Model q = quantize(pattern, QuantizeOptions.Mode.INT8);
        zerosKept(pattern, q, new WeightSelection(null, "conv1", false));
        for (WeightStats w : WeightStats.of(q)) {
            if (!w.name().startsWith("conv1") && !w.name().startsWith("dw1")) {
                assertTrue(w.pattern24(), w.name() + " lost 2:4 conformance");
            }
        }
        runsInTflite(q);
    }

    @Test
    void pruneThenDynamicAndInt16x8KeepZeros() {
        Model pruned = new Pruner(PruneOptions.sparsity(0.6), null).apply(DemoModels.smallCnn(32)).model();
        for (QuantizeOptions.Mode mode : new QuantizeOptions.Mode[] {QuantizeOptions.Mode.DYNAMIC, QuantizeOptions.Mode.INT16X8}) {
            Model q = quantize(pruned, mode);
            zerosKept(pruned, q, WeightSelection.DEFAULT);
            runsInTflite(q);
        }
    }

    @Test
    void clusterPerLayerThenInt8KeepsAtMostNCodesPerLayer() {
        Model m = DemoModels.smallCnn(33);
        for (int n : new int[] {2, 4, 16}) {
            Model c = new Clusterer(ClusterOptions.of(n).withSelection(ALL), null).apply(m).model();
            atMost(c, ALL, n, false, "float");
            Model q = quantize(c, QuantizeOptions.Mode.INT8);
            atMost(q, ALL, n, false, "int8 cluster " + n);
            runsInTflite(q);
            Model d = quantize(c, QuantizeOptions.Mode.DYNAMIC);
            atMost(d, WeightSelection.DEFAULT, n, false, "dynamic cluster " + n);
            runsInTflite(d);
        }
    }

    @Test
    void clusterPerChannelThenInt8KeepsAtMostNCodesPerChannel() {
        Model m = DemoModels.smallCnn(34);
        for (int n : new int[] {2, 5}) {
            Model c = new Clusterer(ClusterOptions.of(n).withPerChannel(true).withSelection(ALL), null).apply(m).model();
            Model q = quantize(c, QuantizeOptions.Mode.INT8);
            atMost(q, ALL, n, true, "int8 per-channel cluster " + n);
            runsInTflite(q);
        }
    }

    @Test
    void clusterWithPreservedSparsityThenInt8KeepsBoth() {
        Model m = DemoModels.smallCnn(35);
        Model pruned = new Pruner(PruneOptions.sparsity(0.5), null).apply(m).model();
        for (boolean perChannel : new boolean[] {false, true}) {
            Model c = new Clusterer(ClusterOptions.of(4).withPerChannel(perChannel).withPreserveSparsity(true), null)
                    .apply(pruned).model();
            zerosKeptFloat(pruned, c);
            Model q = quantize(c, QuantizeOptions.Mode.INT8);
            zerosKept(pruned, q, WeightSelection.DEFAULT);
            atMost(q, WeightSelection.DEFAULT, 4, perChannel, "prune+cluster+int8");
            runsInTflite(q);
        }
    }

    private static void zerosKeptFloat(Model before, Model after) {
        Map<String, WeightData> a = byName(after, WeightSelection.DEFAULT);
        for (WeightData b : weights(before, WeightSelection.DEFAULT)) {
            WeightData c = a.get(b.layer.name());
            for (int i = 0; i < b.size(); i++) {
                assertEquals(b.values[i] == 0, c.values[i] == 0, b.layer.name() + " element " + i);
            }
        }
    }

    @Test
    void perLayerClusteredWeightsGetOneScaleAndOtherWeightsKeepPerChannelScales() {
        Model m = DemoModels.smallCnn(36);
        Model plain = quantize(m, QuantizeOptions.Mode.INT8);
        Model clustered = quantize(new Clusterer(ClusterOptions.of(8), null).apply(m).model(), QuantizeOptions.Mode.INT8);
        // conv1 has 216 weights (fewer than 255 values) and still keeps per-channel scales unclustered
        for (String w : new String[] {"conv1/weights", "dw1/weights", "pw1/weights"}) {
            assertFalse(allEqual(scales(plain, w)), w + ": unclustered weights keep one scale per channel");
        }
        float[] clusteredScales = scales(clustered, "pw1/weights");
        assertEquals(16, clusteredScales.length, "still per-axis (CONV_2D int8 version 3 layout)");
        assertTrue(allEqual(clusteredScales), "clustered weights: one scale, so shared values share codes");
        Model perChannel = quantize(new Clusterer(ClusterOptions.of(8).withPerChannel(true), null).apply(m).model(),
                QuantizeOptions.Mode.INT8);
        assertFalse(allEqual(scales(perChannel, "pw1/weights")), "per-channel clusters keep per-channel scales");
    }

    private static float[] scales(Model m, String name) {
        for (var t : m.mainGraph().tensors()) {
            if (t.name().equals(name)) {
                return t.quantization().scale();
            }
        }
        throw new AssertionError(name + " not found");
    }

    private static boolean allEqual(float[] s) {
        for (float v : s) {
            if (v != s[0]) {
                return false;
            }
        }
        return true;
    }

    /** MobileNet v1 0.25: prune 50% -> cluster 16 (zeros kept) -> int8, calibrated on two photos. */
    @Test
    void mobilenetPruneClusterInt8() {
        Model m = ModelReader.read(SharedData.model("mobilenet_v1_0.25_224_float.tflite"));
        Model pruned = new Pruner(PruneOptions.sparsity(0.5), null).apply(m).model();
        Model c = new Clusterer(ClusterOptions.of(16).withPreserveSparsity(true).withSelection(
                new WeightSelection("Conv2d_1[0-3]_pointwise", null, false)).withInit("linear"), null).apply(pruned).model();
        int[] shape = m.mainGraph().tensor(m.mainGraph().inputs()[0]).shape();
        String photos = SharedData.image("bird.bmp") + "," + SharedData.image("owl.jpg");
        CalibrationData d = CalibrationData.open(photos, shape,
                CalibrationData.Options.defaults().withPreprocessing(Preprocessing.MOBILENET));
        Calibrator.ActivationStats stats = Calibrator.collect(c, d, shape, false, Calibrator.Progress.NONE);
        Model q = roundTrip(Quantizer.quantize(c, QuantizeOptions.of(QuantizeOptions.Mode.INT8)
                .withMethod(RangeMethod.MINMAX), stats).model());
        zerosKept(pruned, q, WeightSelection.DEFAULT);
        atMost(q, new WeightSelection("Conv2d_1[0-3]_pointwise", null, false), 16, false, "mobilenet");
        runsInTflite(q);
    }
}
