package dev.whittle.model;

import dev.whittle.model.ModelBuilder.Activation;
import dev.whittle.model.ModelBuilder.Padding;

import java.util.SplittableRandom;

/**
 * Small deterministic models built with {@link ModelBuilder}, for {@code whittle demo} and for
 * tests that need a realistic graph without shipping a file.
 */
public final class DemoModels {
    private static final int[] SMALL_CNN_INPUT = {1, 32, 32, 3};
    /** Number of classes {@link #smallCnn(long)} scores. */
    public static final int SMALL_CNN_CLASSES = 10;

    private DemoModels() {
    }

    /** Input shape of {@link #smallCnn(long)}: one 32x32 RGB image, NHWC. */
    public static int[] smallCnnInputShape() {
        return SMALL_CNN_INPUT.clone();
    }

    /**
     * A MobileNet-like float CNN: input {@code [1,32,32,3]} → CONV_2D 3x3 stride 2 SAME, 8
     * channels, RELU6 → DEPTHWISE_CONV_2D 3x3 SAME, RELU6 → CONV_2D 1x1, 16 channels, RELU6 →
     * MEAN over H and W → FULLY_CONNECTED 10 → SOFTMAX, output {@code [1,10]}.
     *
     * <p>Weights are He-uniform (so activations neither vanish nor explode through the RELU6
     * layers) and biases small, all drawn from {@link SplittableRandom} in layer order: the
     * same seed gives the same model, byte for byte, on every JVM.
     */
    public static Model smallCnn(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ModelBuilder b = new ModelBuilder("whittle_demo_cnn");
        int x = b.input("input", TensorType.FLOAT32, SMALL_CNN_INPUT);

        int w = b.constant("conv1/weights", he(rnd, 8 * 3 * 3 * 3, 3 * 3 * 3), 8, 3, 3, 3);
        int bias = b.constant("conv1/bias", small(rnd, 8), 8);
        x = b.conv2d("conv1", x, w, bias, Padding.SAME, 2, Activation.RELU6);

        w = b.constant("dw1/weights", he(rnd, 3 * 3 * 8, 3 * 3), 1, 3, 3, 8);
        bias = b.constant("dw1/bias", small(rnd, 8), 8);
        x = b.depthwiseConv2d("dw1", x, w, bias, Padding.SAME, 1, Activation.RELU6);

        w = b.constant("pw1/weights", he(rnd, 16 * 8, 8), 16, 1, 1, 8);
        bias = b.constant("pw1/bias", small(rnd, 16), 16);
        x = b.conv2d("pw1", x, w, bias, Padding.SAME, 1, Activation.RELU6);

        x = b.mean("pool", x, new int[] {1, 2}, false);

        w = b.constant("logits/weights", he(rnd, SMALL_CNN_CLASSES * 16, 16), SMALL_CNN_CLASSES, 16);
        bias = b.constant("logits/bias", small(rnd, SMALL_CNN_CLASSES), SMALL_CNN_CLASSES);
        x = b.fullyConnected("logits", x, w, bias, Activation.NONE);

        x = b.softmax("probabilities", x, 1.0f);
        b.output(x);
        return b.build();
    }

    /** He-uniform: U(-l, l) with {@code l = sqrt(6 / fanIn)}, variance 2 / fanIn. */
    private static float[] he(SplittableRandom rnd, int count, int fanIn) {
        double limit = Math.sqrt(6.0 / fanIn);
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) symmetric(rnd, limit);
        }
        return v;
    }

    /**
     * U(-limit, limit) from the plain {@code nextDouble()}, whose algorithm SplittableRandom
     * fixes; the bounded overloads are left out since their rounding is a library detail.
     */
    private static double symmetric(SplittableRandom rnd, double limit) {
        return (rnd.nextDouble() * 2 - 1) * limit;
    }

    private static float[] small(SplittableRandom rnd, int count) {
        float[] v = new float[count];
        for (int i = 0; i < count; i++) {
            v[i] = (float) symmetric(rnd, 0.05);
        }
        return v;
    }
}
