package dev.whittle.quantize;

import dev.whittle.TensorData;
import dev.whittle.io.Npy;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Calibration sources and range estimators. */
class CalibrationTest {
    @Test
    void npyOnePerFileAndStacked(@TempDir Path dir) {
        float[] one = {1, 2, 3, 4};
        Npy.write(dir.resolve("a.npy"), Tensors.fromFloats(one, new int[] {1, 2, 2, 1}));
        float[] three = new float[12];
        for (int i = 0; i < 12; i++) {
            three[i] = i;
        }
        Npy.write(dir.resolve("b.npy"), Tensors.fromFloats(three, new int[] {3, 2, 2, 1}));
        CalibrationData d = CalibrationData.open(dir.toString(), new int[] {1, 2, 2, 1}, CalibrationData.Options.defaults());
        assertEquals(4, d.size());
        TensorData s = d.samples().get(2).toTensor(TensorType.FLOAT32, new int[] {1, 2, 2, 1}, null);
        assertArrayEquals(new float[] {4, 5, 6, 7}, Tensors.floats(s));
        assertEquals(2, CalibrationData.open(dir.toString(), new int[] {1, 2, 2, 1},
                CalibrationData.Options.defaults().withSamples(2)).size());
    }

    @Test
    void mnistIdx() {
        Path idx = SharedData.root().resolve("data/mnist/test-images-idx3-ubyte");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(idx), "no MNIST at " + idx);
        CalibrationData d = CalibrationData.open(idx.toString(), new int[] {1, 28, 28}, CalibrationData.Options.defaults().withSamples(5));
        assertEquals(5, d.size());
        float[] v = Tensors.floats(d.samples().get(0).toTensor(TensorType.FLOAT32, new int[] {1, 28, 28}, null));
        float max = 0;
        for (float f : v) {
            assertTrue(f >= 0 && f <= 1, "x / 255 by default");
            max = Math.max(max, f);
        }
        assertTrue(max > 0.5f);
        int[] labels = Evaluator.readLabels(SharedData.root().resolve("data/mnist/test-labels-idx1-ubyte"));
        assertEquals(2000, labels.length);
    }

    @Test
    void randomWarnsAndIsSeeded() {
        int[] shape = {1, 4};
        CalibrationData a = CalibrationData.open("random", shape, CalibrationData.Options.defaults().withSamples(3).withSeed(5));
        CalibrationData b = CalibrationData.open("random", shape, CalibrationData.Options.defaults().withSamples(3).withSeed(5));
        assertEquals(3, a.size());
        assertEquals(1, a.warnings().size());
        assertTrue(a.warnings().get(0).contains("random"));
        assertEquals(a.samples().get(1).toTensor(TensorType.FLOAT32, shape, null),
                b.samples().get(1).toTensor(TensorType.FLOAT32, shape, null));
    }

    @Test
    void augmentMakesTenVariantsPerImage() {
        CalibrationData d = CalibrationData.open(SharedData.image("cat.bmp").toString(), new int[] {1, 16, 16, 3},
                CalibrationData.Options.defaults().withAugment(true).withPreprocessing(dev.whittle.io.Preprocessing.UNIT));
        assertEquals(10, d.size());
    }

    @Test
    void rangeEstimatorsOnAnOutlier() {
        Calibrator.TensorStats s = new Calibrator.TensorStats();
        float[] v = new float[100_000];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        v[0] = 40; // one outlier
        s.accept(v);
        s.startHistogram();
        s.histogram(v);
        Calibrator.TensorStats[] all = {s};
        Calibrator.ActivationStats st = new Calibrator.ActivationStats(all, 1, "test", new int[] {1});
        double[] mm = st.range(0, RangeMethod.MINMAX, 255, false);
        assertEquals(40, mm[1], 1e-6);
        double[] p = st.range(0, RangeMethod.PERCENTILE, 255, false);
        assertTrue(p[1] < 5 && p[1] > 3, "percentile clips the outlier: " + p[1]);
        double[] mse = st.range(0, RangeMethod.MSE, 255, false);
        assertTrue(mse[1] < 40 && mse[1] > 2, "MSE clips the outlier: " + mse[1]);
        double[] mse16 = st.range(0, RangeMethod.MSE, 65535, true);
        assertTrue(mse16[1] > mse[1], "a finer grid clips less: " + mse16[1]);
    }

    @Test
    void calibrationRunsTheFloatModelOnWhittleWhereItCan() {
        Model f = QuantFixtures.smallCnn();
        int[] shape = {1, 8, 8, 3};
        CalibrationData d = CalibrationData.open("random", shape, CalibrationData.Options.defaults().withSamples(2));
        Calibrator.ActivationStats st = Calibrator.collect(f, d, shape, false, Calibrator.Progress.NONE);
        assertEquals("whittle", st.backend());
        Model lstm = QuantFixtures.model("mnist_lstm_float.tflite");
        int[] ls = lstm.mainGraph().tensor(lstm.mainGraph().inputs()[0]).shape();
        Calibrator.ActivationStats l = Calibrator.collect(lstm, CalibrationData.open("random", ls,
                CalibrationData.Options.defaults().withSamples(1)), ls, false, Calibrator.Progress.NONE);
        assertEquals("tflite", l.backend(), "an op Whittle's runtime lacks (the LSTM): the TFLite interpreter");
    }
}
