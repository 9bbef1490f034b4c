package dev.whittle.optimize;

import dev.whittle.io.Preprocessing;
import dev.whittle.model.DemoModels;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.whittle.optimize.OptimizeTestSupport.roundTrip;
import static dev.whittle.optimize.OptimizeTestSupport.runEverywhere;
import static dev.whittle.optimize.OptimizeTestSupport.weights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ClusterTest {
    private static final WeightSelection ALL = new WeightSelection(null, null, true);

    @Test
    void atMostNValuesPerLayerAndTheModelRuns() {
        Model m = DemoModels.smallCnn(11);
        for (String init : new String[] {"kmeans++", "linear", "density", "random"}) {
            for (int n : new int[] {2, 3, 16}) {
                Model out = roundTrip(new Clusterer(ClusterOptions.of(n).withInit(init).withSelection(ALL), null)
                        .apply(m).model());
                for (WeightData w : weights(out, ALL)) {
                    assertTrue(w.distinct() <= n, init + " " + n + " " + w.layer.name() + ": " + w.distinct());
                }
                runEverywhere(out, 1);
            }
        }
    }

    @Test
    void atMostNValuesPerChannel() {
        Model m = DemoModels.smallCnn(12);
        Model out = roundTrip(new Clusterer(ClusterOptions.of(4).withPerChannel(true).withSelection(ALL), null)
                .apply(m).model());
        for (WeightData w : weights(out, ALL)) {
            for (int o = 0; o < w.outputChannels(); o++) {
                Set<Float> values = new HashSet<>();
                for (int i : w.channelIndices(o)) {
                    values.add(w.values[i]);
                }
                assertTrue(values.size() <= 4, w.layer.name() + " channel " + o);
            }
            assertTrue(w.distinct() > 4, "per-channel centroids differ between channels");
        }
        runEverywhere(out, 2);
    }

    @Test
    void sameSeedSameModel() {
        Model m = DemoModels.smallCnn(13);
        ClusterOptions o = ClusterOptions.of(5).withInit("random").withSeed(42);
        assertArrayEquals(ModelWriter.toBytes(new Clusterer(o, null).apply(m).model()),
                ModelWriter.toBytes(new Clusterer(o, null).apply(m).model()));
    }

    @Test
    void preservedZerosStayZeroAndZeroIsOneOfTheNValues() {
        Model m = DemoModels.smallCnn(14);
        Model pruned = new Pruner(PruneOptions.sparsity(0.5), null).apply(m).model();
        Model out = roundTrip(new Clusterer(ClusterOptions.of(8).withPreserveSparsity(true), null).apply(pruned).model());
        List<WeightData> before = weights(pruned, WeightSelection.DEFAULT);
        List<WeightData> after = weights(out, WeightSelection.DEFAULT);
        for (int k = 0; k < after.size(); k++) {
            WeightData b = before.get(k);
            WeightData a = after.get(k);
            for (int i = 0; i < a.size(); i++) {
                assertEquals(b.values[i] == 0, a.values[i] == 0, a.layer.name() + " element " + i);
            }
            assertTrue(a.distinct() <= 8, a.layer.name());
        }
        // without the option zeros join a cluster and move
        Model loose = new Clusterer(ClusterOptions.of(2), null).apply(pruned).model();
        assertTrue(weights(loose, WeightSelection.DEFAULT).stream().anyMatch(w -> w.zeros() == 0));
    }

    @Test
    void int8WeightsAreClusteredAsCodes() {
        for (String name : new String[] {"person_detect_int8.tflite", "mobilenet_v1_0.25_224_quant.tflite"}) {
            Model m = ModelReader.read(SharedData.model(name));
            for (boolean perChannel : new boolean[] {false, true}) {
                Model pruned = new Pruner(PruneOptions.sparsity(0.3), null).apply(m).model();
                Model out = roundTrip(new Clusterer(ClusterOptions.of(16).withPerChannel(perChannel)
                        .withPreserveSparsity(true), null).apply(pruned).model());
                List<WeightData> before = weights(pruned, WeightSelection.DEFAULT);
                List<WeightData> after = weights(out, WeightSelection.DEFAULT);
                for (int k = 0; k < after.size(); k++) {
                    WeightData a = after.get(k);
                    if (!perChannel) {
                        assertTrue(a.distinct() <= 16, name + " " + a.layer.name() + ": " + a.distinct());
                    }
                    for (int o = 0; o < a.outputChannels() && perChannel; o++) {
                        Set<Float> values = new HashSet<>();
                        for (int i : a.channelIndices(o)) {
                            values.add(a.values[i]);
                        }
                        assertTrue(values.size() <= 16, name + " " + a.layer.name() + " channel " + o);
                    }
                    for (int i = 0; i < a.size(); i++) {
                        assertEquals(Math.rint(a.values[i]), a.values[i]);
                        if (before.get(k).values[i] == 0) {
                            assertEquals(0f, a.values[i]);
                        }
                    }
                }
                runEverywhere(out, 3);
            }
        }
    }

    @Test
    void dataAwareClusteringCorrectsBiasesAndRuns() {
        Model m = ModelReader.read(SharedData.model("mobilenet_v1_0.25_224_float.tflite"));
        CalibrationSet cal = CalibrationSet.of(List.of(SharedData.image("bird.bmp")), 2, Preprocessing.MOBILENET);
        StepResult r = new Clusterer(ClusterOptions.of(16).withDataAware(true)
                .withSelection(new WeightSelection("Conv2d_1[23]_pointwise", null, false)), cal).apply(m);
        for (StepResult.LayerReport l : r.layers()) {
            assertTrue(l.distinctAfter() <= 16);
            assertTrue(l.biasCorrected());
        }
        runEverywhere(roundTrip(r.model()), 4);
    }

    @Test
    void kmeansFindsSeparatedClustersAndTheLeastInertiaWins() {
        double[] x = {-10.2, -10, -9.8, 0.1, -0.1, 0, 5, 5.2, 4.8};
        for (KMeans1D.Init init : KMeans1D.Init.values()) {
            KMeans1D.Result r = new KMeans1D(x, null).run(3, init, 1, 10);
            assertArrayEquals(new double[] {-10, 0, 5}, r.centroids(), 1e-9, init.toString());
        }
        // fewer distinct values than clusters: the values themselves
        assertArrayEquals(new double[] {1, 2}, new KMeans1D(new double[] {2, 1, 2, 1}, null).run(4, KMeans1D.Init.LINEAR, 0, 1).centroids());
        // weights pull the centroid
        for (KMeans1D.Init init : KMeans1D.Init.values()) {
            KMeans1D.Result w = new KMeans1D(new double[] {0, 1}, new double[] {3, 1}).run(1, init, 0, 1);
            assertArrayEquals(new double[] {0.25}, w.centroids(), 1e-12, init.toString());
            assertEquals(0.75, w.inertia(), 1e-12);
        }
    }

    @Test
    void badParametersAreClearErrors() {
        assertThrows(BadParameterException.class, () -> ClusterOptions.of(1));
        assertThrows(BadParameterException.class, () -> ClusterOptions.of(0));
        assertThrows(BadParameterException.class, () -> ClusterOptions.of(8).withInit("kmedoids"));
        assertThrows(BadParameterException.class, () -> new Clusterer(ClusterOptions.of(8).withDataAware(true), null));
        assertThrows(BadParameterException.class, () -> new Clusterer(ClusterOptions.of(8)
                .withSelection(new WeightSelection("nothing-like-this", null, false)), null).apply(DemoModels.smallCnn(1)));
    }
}
