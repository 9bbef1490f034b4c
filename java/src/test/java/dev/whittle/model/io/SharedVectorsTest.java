package dev.whittle.model.io;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.Activation;
import dev.whittle.model.ModelBuilder.Padding;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ModelWriter} writes equal vectors (per-channel zero points, scales, shapes), strings
 * and quantization tables once: the file is smaller, reads back to the same model, passes
 * TFLite's verifier, and TFLite computes byte-identical outputs from it.
 */
class SharedVectorsTest {
    private static final int LAYERS = 12;
    private static final int CHANNELS = 17;

    /** LAYERS int8 1x1 convolutions, each with per-channel weights and biases: 2 * LAYERS zero-point vectors, all equal. */
    private static Model perChannelChain() {
        ModelBuilder b = new ModelBuilder("chain");
        SplittableRandom rnd = new SplittableRandom(11);
        float inScale = 0.05f;
        int x = b.input("x", TensorType.INT8, Quantization.perTensor(inScale, -3), 1, 4, 4, CHANNELS);
        for (int l = 0; l < LAYERS; l++) {
            byte[] w = new byte[CHANNELS * CHANNELS];
            for (int i = 0; i < w.length; i++) {
                w[i] = (byte) rnd.nextInt(-127, 128);
            }
            float[] ws = new float[CHANNELS];
            float[] bs = new float[CHANNELS];
            int[] bias = new int[CHANNELS];
            for (int c = 0; c < CHANNELS; c++) {
                ws[c] = (float) (0.001 + 0.01 * rnd.nextDouble());
                bs[c] = inScale * ws[c];
                bias[c] = rnd.nextInt(-2000, 2000);
            }
            int wt = b.constant("w" + l, w, Quantization.perAxis(ws, new long[CHANNELS], 0), CHANNELS, 1, 1, CHANNELS);
            int bt = b.constant("b" + l, bias, Quantization.perAxis(bs, new long[CHANNELS], 0), CHANNELS);
            x = b.conv2d("conv" + l, x, wt, bt, Padding.SAME, 1, Activation.NONE);
            b.setQuantization(x, Quantization.perTensor(inScale, -3));
        }
        b.output(x);
        return b.build();
    }

    @Test
    void equalZeroPointVectorsAreWrittenOnceAndTfliteAgrees() {
        Model m = perChannelChain();
        byte[] shared = ModelWriter.toBytes(m);
        byte[] unshared = ModelWriter.toBytesUnshared(m);
        // At least the 2 * LAYERS - 1 repeated zero-point vectors (4-byte length + 8 bytes per
        // channel each) and the repeated activation shape/quantization go.
        long zeroPoints = (2L * LAYERS - 1) * (4 + 8L * CHANNELS);
        assertTrue(shared.length <= unshared.length - zeroPoints,
                "shared " + shared.length + " vs unshared " + unshared.length + ", expected at least " + zeroPoints + " less");
        assertEquals(m, ModelReader.read(shared), "shared form reads back to the same model");
        assertEquals(m, ModelReader.read(unshared), "unshared form reads back to the same model");
        assertEquals(List.of(), ModelValidator.validate(ModelReader.read(shared)).findings(), "validator findings");

        for (TfliteOptions opts : List.of(TfliteOptions.defaults().useXnnpack(false), TfliteOptions.defaults().useXnnpack(true))) {
            try (TfliteInterpreter a = TfliteInterpreter.create(unshared, opts);
                    TfliteInterpreter s = TfliteInterpreter.create(shared, opts)) {
                for (long seed = 1; seed <= 3; seed++) {
                    List<TensorData> in = TfliteRoundTripTest.inputSets(a, seed, 1).get(0);
                    TensorData oa = a.run(in).get(0);
                    TensorData os = s.run(in).get(0);
                    assertArrayEquals(oa.shape(), os.shape());
                    assertTrue(Arrays.equals(oa.bytes(), os.bytes()), "outputs differ, seed " + seed);
                    assertTrue(nonConstant(oa.bytes()), "a test whose outputs are all equal could not fail");
                }
            }
        }
    }

    @Test
    void sharingIsDeterministicAndStable() {
        Model m = perChannelChain();
        byte[] once = ModelWriter.toBytes(m);
        assertArrayEquals(once, ModelWriter.toBytes(m));
        assertArrayEquals(once, ModelWriter.toBytes(ModelReader.read(once)), "read-write is a fixed point");
    }

    private static boolean nonConstant(byte[] b) {
        for (byte v : b) {
            if (v != b[0]) {
                return true;
            }
        }
        return false;
    }
}
