package dev.whittle.quantize;

import dev.whittle.io.Preprocessing;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelReader;
import dev.whittle.testing.SharedData;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Models and calibration statistics the quantization tests share, computed once per JVM:
 * calibrating MobileNet on Whittle's reference runtime takes seconds, and several test
 * classes need the same statistics.
 */
final class QuantFixtures {
    static final String MOBILENET = "mobilenet_v1_0.25_224_float.tflite";
    static final String DILATED = "dilated_conv_float.tflite";
    /** dilated_conv's input is [1, 1, 1, 3] with signature [-1, -1, -1, 3]; calibrate it on 16x16 inputs. */
    static final int[] DILATED_SHAPE = {1, 16, 16, 3};

    private static final Map<String, Calibrator.ActivationStats> STATS = new HashMap<>();

    private QuantFixtures() {
    }

    static Model model(String name) {
        return ModelReader.read(SharedData.model(name));
    }

    static int[] shape(String name) {
        return name.equals(DILATED) ? DILATED_SHAPE.clone() : model(name).mainGraph().tensor(model(name).mainGraph().inputs()[0]).shape();
    }

    /** Two photos for MobileNet, 8 random samples for dilated_conv; min/max and histograms. */
    static synchronized CalibrationData data(String name) {
        if (name.equals(MOBILENET)) {
            String s = SharedData.image("bird.bmp") + "," + SharedData.image("cat.bmp");
            return CalibrationData.open(s, shape(name), CalibrationData.Options.defaults().withPreprocessing(Preprocessing.MOBILENET));
        }
        return CalibrationData.open("random", shape(name), CalibrationData.Options.defaults().withSamples(8).withSeed(7));
    }

    static synchronized Calibrator.ActivationStats stats(String name) {
        return STATS.computeIfAbsent(name, n -> Calibrator.collect(model(n), data(n), shape(n), true, Calibrator.Progress.NONE));
    }

    /**
     * A small float CNN exercising the ops MobileNet lacks: CONCATENATION of two differently
     * scaled branches (requantized inputs), LOGISTIC, MAX_POOL_2D, RESHAPE, FULLY_CONNECTED,
     * TANH, SOFTMAX.
     */
    static Model smallCnn() {
        Random r = new Random(3);
        ModelBuilder b = new ModelBuilder("quant_test_cnn");
        int x = b.input("input", TensorType.FLOAT32, 1, 8, 8, 3);
        int w1 = b.constant("w1", randoms(r, 4 * 3 * 3 * 3, 0.5f), 4, 3, 3, 3);
        int b1 = b.constant("b1", randoms(r, 4, 0.1f), 4);
        int a = b.conv2d("conv", x, w1, b1, ModelBuilder.Padding.SAME, 1, ModelBuilder.Activation.RELU);
        int w2 = b.constant("w2", randoms(r, 3 * 3 * 3, 2f), 1, 3, 3, 3);
        int b2 = b.constant("b2", randoms(r, 3, 0.1f), 3);
        int d = b.depthwiseConv2d("dw", x, w2, b2, ModelBuilder.Padding.SAME, 1, ModelBuilder.Activation.NONE);
        int l = b.op(BuiltinOperator.LOGISTIC, null, new int[] {d}, ModelBuilder.TensorSpec.of("logistic", TensorType.FLOAT32, 1, 8, 8, 3));
        int c = b.concatenation("concat", 3, a, l);
        int p = b.maxPool2d("pool", c, 2, 2, ModelBuilder.Padding.VALID);
        int f = b.reshape("flat", p, 1, 4 * 4 * 7);
        int w3 = b.constant("w3", randoms(r, 10 * 112, 0.2f), 10, 112);
        int b3 = b.constant("b3", randoms(r, 10, 0.1f), 10);
        int fc = b.fullyConnected("fc", f, w3, b3, ModelBuilder.Activation.NONE);
        int t = b.op(BuiltinOperator.TANH, null, new int[] {fc}, ModelBuilder.TensorSpec.of("tanh", TensorType.FLOAT32, 1, 10));
        int s = b.softmax("probs", t, 1f);
        b.output(s);
        return b.build();
    }

    private static float[] randoms(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return v;
    }
}
