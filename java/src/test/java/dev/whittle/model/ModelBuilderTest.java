package dev.whittle.model;

import dev.whittle.TensorData;
import dev.whittle.model.ModelBuilder.Activation;
import dev.whittle.model.ModelBuilder.Padding;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.io.ModelValidator;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves {@link ModelBuilder}'s shape inference, weight layouts and options right by running
 * what it builds in real TFLite (reference kernels: XNNPACK off) and comparing with naive
 * loops written here from the operators' definitions.
 */
class ModelBuilderTest {
    private static final double TOL = 1e-5;

    // ---- the demo model ----

    @Test
    void demoCnnValidatesWritesAndRunsInTflite() {
        Model m = DemoModels.smallCnn(42);
        assertTrue(ModelValidator.validate(m).findings().isEmpty(), () -> ModelValidator.validate(m).toString());
        assertEquals(6, m.mainGraph().operatorCount());
        byte[] bytes = ModelWriter.toBytes(m);
        try (TfliteInterpreter tfl = TfliteInterpreter.create(bytes, TfliteOptions.defaults())) {
            assertArrayEquals(new int[] {1, 32, 32, 3}, tfl.inputInfo(0).shape());
            tfl.setInput(0, floats(random(32 * 32 * 3, 7, 0, 1), 1, 32, 32, 3));
            tfl.invoke();
            TensorData out = tfl.output(0);
            assertArrayEquals(new int[] {1, 10}, out.shape());
            double[] p = out.toDoubleArray();
            assertEquals(1.0, Arrays.stream(p).sum(), 1e-5);
            for (double v : p) {
                assertTrue(v > 0 && v < 1, () -> Arrays.toString(p));
            }
            // Trained or not, He-scaled weights must give a distribution that is not flat.
            double spread = Arrays.stream(p).max().orElseThrow() - Arrays.stream(p).min().orElseThrow();
            assertTrue(spread > 1e-3, () -> "flat output " + Arrays.toString(p));
        }
    }

    @Test
    void demoCnnIsDeterministicPerSeed() {
        byte[] a = ModelWriter.toBytes(DemoModels.smallCnn(42));
        byte[] b = ModelWriter.toBytes(DemoModels.smallCnn(42));
        byte[] c = ModelWriter.toBytes(DemoModels.smallCnn(43));
        assertArrayEquals(a, b);
        assertFalse(Arrays.equals(a, c));
        assertArrayEquals(new int[] {1, 32, 32, 3}, DemoModels.smallCnnInputShape());
    }

    @Test
    void demoCnnReadsBackEqualWithConverterStyleOptions() {
        Model m = DemoModels.smallCnn(1);
        Model back = ModelReader.read(ModelWriter.toBytes(m));
        assertEquals(m, back);
        Subgraph g = back.mainGraph();
        BuiltinOptions conv1 = g.operator(0).builtinOptions();
        assertEquals("Conv2DOptions", conv1.schema().name());
        assertEquals(0, conv1.getInt("padding"));
        assertEquals(2, conv1.getInt("stride_w"));
        assertEquals(2, conv1.getInt("stride_h"));
        assertEquals(3, conv1.getInt("fused_activation_function"));
        assertEquals(1, conv1.getInt("dilation_w_factor"));
        assertEquals(BuiltinOperator.DEPTHWISE_CONV_2D, back.operatorCodeOf(g.operator(1)).builtin());
        assertEquals(1, g.operator(1).builtinOptions().getInt("depth_multiplier"));
        assertEquals(BuiltinOperator.MEAN, back.operatorCodeOf(g.operator(3)).builtin());
        assertFalse(g.operator(3).builtinOptions().getBool("keep_dims"));
        assertEquals("conv1/weights", g.tensor(g.operator(0).input(1)).name());
        assertArrayEquals(new int[] {1, 16, 16, 8}, g.tensor(g.operator(0).output(0)).shape());
    }

    // ---- single operators against naive loops ----

    @ParameterizedTest(name = "{0} {1}x{2} k{3}x{4} stride {5}x{6} dilation {7} {8}")
    @CsvSource({
        "SAME, 8, 8, 3, 3, 1, 1, 1, RELU",
        "VALID, 8, 8, 3, 3, 1, 1, 1, NONE",
        "SAME, 8, 8, 3, 3, 2, 2, 1, RELU6",
        "SAME, 7, 6, 3, 3, 2, 2, 1, NONE",
        "VALID, 9, 7, 3, 2, 2, 3, 1, RELU",
        "SAME, 6, 5, 2, 2, 2, 2, 1, RELU_N1_TO_1",
        "VALID, 9, 9, 3, 3, 1, 1, 2, NONE",
        "SAME, 9, 8, 3, 3, 1, 1, 2, NONE",
    })
    void conv2dMatchesNaive(Padding padding, int h, int w, int kh, int kw, int sh, int sw, int dil, Activation act) {
        int cin = 3;
        int cout = 4;
        float[] x = random(2 * h * w * cin, 1, -1, 1);
        float[] wt = random(cout * kh * kw * cin, 2, -1, 1);
        float[] bias = random(cout, 3, -1, 1);
        ModelBuilder b = new ModelBuilder("conv");
        int in = b.input("x", TensorType.FLOAT32, 2, h, w, cin);
        int wi = b.constant("w", wt, cout, kh, kw, cin);
        int bi = b.constant("b", bias, cout);
        int y = b.conv2d("y", in, wi, bi, padding, sh, sw, dil, dil, act);
        b.output(y);
        int[] outShape = b.shape(y);
        float[] got = runSingle(b.build(), x, outShape);
        double[] want = naiveConv(x, new int[] {2, h, w, cin}, wt, kh, kw, cout, bias, padding, sh, sw, dil,
                outShape[1], outShape[2], false, 1);
        assertClose(want, got, act);
    }

    @Test
    void conv2dWithoutBias() {
        float[] x = random(5 * 5 * 2, 4, -1, 1);
        float[] wt = random(3 * 2 * 2 * 2, 5, -1, 1);
        ModelBuilder b = new ModelBuilder("conv_nobias");
        int in = b.input("x", TensorType.FLOAT32, 1, 5, 5, 2);
        int y = b.conv2d("y", in, b.constant("w", wt, 3, 2, 2, 2), -1, Padding.VALID, 1, Activation.NONE);
        b.output(y);
        assertArrayEquals(new int[] {1, 4, 4, 3}, b.shape(y));
        Model m = b.build();
        // TFLite's CONV_2D refuses a missing bias, so the builder writes zeros as converters do.
        Tensor bias = m.mainGraph().tensor(m.mainGraph().operator(0).input(2));
        assertEquals("y/bias", bias.name());
        assertEquals(12, m.constantData(bias).remaining());
        float[] got = runSingle(m, x, new int[] {1, 4, 4, 3});
        assertClose(naiveConv(x, new int[] {1, 5, 5, 2}, wt, 2, 2, 3, null, Padding.VALID, 1, 1, 1, 4, 4, false, 1),
                got, Activation.NONE);
    }

    @ParameterizedTest(name = "{0} {1}x{2} stride {3} multiplier {4}")
    @CsvSource({
        "SAME, 8, 8, 1, 2",
        "SAME, 7, 9, 2, 2",
        "VALID, 8, 7, 2, 1",
        "VALID, 6, 6, 1, 3",
    })
    void depthwiseConv2dMatchesNaive(Padding padding, int h, int w, int stride, int mult) {
        int c = 3;
        float[] x = random(h * w * c, 11, -1, 1);
        float[] wt = random(3 * 3 * c * mult, 12, -1, 1);
        float[] bias = random(c * mult, 13, -1, 1);
        ModelBuilder b = new ModelBuilder("dw");
        int in = b.input("x", TensorType.FLOAT32, 1, h, w, c);
        int y = b.depthwiseConv2d("y", in, b.constant("w", wt, 1, 3, 3, c * mult), b.constant("b", bias, c * mult),
                padding, stride, Activation.RELU6);
        b.output(y);
        int[] outShape = b.shape(y);
        assertEquals(c * mult, outShape[3]);
        float[] got = runSingle(b.build(), x, outShape);
        double[] want = naiveConv(x, new int[] {1, h, w, c}, wt, 3, 3, c * mult, bias, padding, stride, stride, 1,
                outShape[1], outShape[2], true, mult);
        assertClose(want, got, Activation.RELU6);
    }

    @Test
    void fullyConnectedFlattensInputToRows() {
        // [2,3,2,2] holds 24 values: with 6 input features that is a batch of 4 rows.
        float[] x = random(24, 21, -1, 1);
        float[] wt = random(5 * 6, 22, -1, 1);
        float[] bias = random(5, 23, -1, 1);
        ModelBuilder b = new ModelBuilder("fc");
        int in = b.input("x", TensorType.FLOAT32, 2, 3, 2, 2);
        int y = b.fullyConnected("y", in, b.constant("w", wt, 5, 6), b.constant("bias", bias, 5), Activation.RELU);
        b.output(y);
        assertArrayEquals(new int[] {4, 5}, b.shape(y));
        float[] got = runSingle(b.build(), x, new int[] {4, 5});
        double[] want = new double[20];
        for (int r = 0; r < 4; r++) {
            for (int o = 0; o < 5; o++) {
                double s = bias[o];
                for (int i = 0; i < 6; i++) {
                    s += (double) x[r * 6 + i] * wt[o * 6 + i];
                }
                want[r * 5 + o] = s;
            }
        }
        assertClose(want, got, Activation.RELU);
    }

    @Test
    void fullyConnectedWithoutBias() {
        float[] x = random(8, 24, -1, 1);
        float[] wt = random(3 * 8, 25, -1, 1);
        ModelBuilder b = new ModelBuilder("fc_nobias");
        int in = b.input("x", TensorType.FLOAT32, 1, 8);
        int y = b.fullyConnected("y", in, b.constant("w", wt, 3, 8), -1, Activation.NONE);
        b.output(y);
        float[] got = runSingle(b.build(), x, new int[] {1, 3});
        double[] want = new double[3];
        for (int o = 0; o < 3; o++) {
            for (int i = 0; i < 8; i++) {
                want[o] += (double) x[i] * wt[o * 8 + i];
            }
        }
        assertClose(want, got, Activation.NONE);
    }

    @ParameterizedTest(name = "{0} {1} {2}x{2} filter {3} stride {4}")
    @CsvSource({
        "true, SAME, 7, 3, 2",
        "true, VALID, 8, 2, 2",
        "true, SAME, 6, 3, 1",
        "false, SAME, 7, 3, 2",
        "false, VALID, 9, 3, 2",
        "false, SAME, 5, 2, 2",
    })
    void poolingMatchesNaive(boolean max, Padding padding, int size, int filter, int stride) {
        int c = 2;
        float[] x = random(size * size * c, 31, -1, 1);
        ModelBuilder b = new ModelBuilder("pool");
        int in = b.input("x", TensorType.FLOAT32, 1, size, size, c);
        int y = max ? b.maxPool2d("y", in, filter, stride, padding) : b.averagePool2d("y", in, filter, stride, padding);
        b.output(y);
        int[] o = b.shape(y);
        float[] got = runSingle(b.build(), x, o);
        int padT = pad(padding, size, filter, stride, 1, o[1]);
        int padL = pad(padding, size, filter, stride, 1, o[2]);
        double[] want = new double[o[1] * o[2] * c];
        for (int oy = 0; oy < o[1]; oy++) {
            for (int ox = 0; ox < o[2]; ox++) {
                for (int ch = 0; ch < c; ch++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int count = 0;
                    for (int ky = 0; ky < filter; ky++) {
                        for (int kx = 0; kx < filter; kx++) {
                            int iy = oy * stride - padT + ky;
                            int ix = ox * stride - padL + kx;
                            if (iy < 0 || iy >= size || ix < 0 || ix >= size) {
                                continue; // TFLite pools only over cells inside the input
                            }
                            double v = x[(iy * size + ix) * c + ch];
                            acc = max ? Math.max(acc, v) : acc + v;
                            count++;
                        }
                    }
                    want[(oy * o[2] + ox) * c + ch] = max ? acc : acc / count;
                }
            }
        }
        assertClose(want, got, Activation.NONE);
    }

    @Test
    void addBroadcastsAndAppliesRelu6() {
        float[] x = random(4 * 4 * 3, 41, -8, 8);
        float[] c = random(3, 42, -2, 2);
        ModelBuilder b = new ModelBuilder("add");
        int in = b.input("x", TensorType.FLOAT32, 1, 4, 4, 3);
        int y = b.add("y", in, b.constant("c", c, 3), Activation.RELU6);
        b.output(y);
        assertArrayEquals(new int[] {1, 4, 4, 3}, b.shape(y));
        float[] got = runSingle(b.build(), x, new int[] {1, 4, 4, 3});
        double[] want = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            want[i] = (double) x[i] + c[i % 3];
        }
        assertClose(want, got, Activation.RELU6);
    }

    @Test
    void addOfTwoInputsBroadcastsBothWays() {
        float[] x = random(2 * 1 * 3, 43, -1, 1);
        float[] z = random(4 * 1, 44, -1, 1);
        ModelBuilder b = new ModelBuilder("add2");
        int xi = b.input("x", TensorType.FLOAT32, 2, 1, 3);
        int zi = b.input("z", TensorType.FLOAT32, 4, 1);
        int y = b.add("y", xi, zi, Activation.NONE);
        b.output(y);
        assertArrayEquals(new int[] {2, 4, 3}, b.shape(y));
        float[] got = run(b.build(), new int[] {2, 4, 3}, x, z);
        double[] want = new double[24];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 4; j++) {
                for (int k = 0; k < 3; k++) {
                    want[(i * 4 + j) * 3 + k] = (double) x[i * 3 + k] + z[j];
                }
            }
        }
        assertClose(want, got, Activation.NONE);
    }

    @Test
    void meanOverSpatialAxes() {
        float[] x = random(2 * 3 * 4 * 5, 51, -1, 1);
        for (boolean keep : new boolean[] {false, true}) {
            ModelBuilder b = new ModelBuilder("mean");
            int in = b.input("x", TensorType.FLOAT32, 2, 3, 4, 5);
            int y = b.mean("y", in, new int[] {1, -2}, keep);
            b.output(y);
            int[] shape = keep ? new int[] {2, 1, 1, 5} : new int[] {2, 5};
            assertArrayEquals(shape, b.shape(y));
            float[] got = runSingle(b.build(), x, shape);
            double[] want = new double[10];
            for (int n = 0; n < 2; n++) {
                for (int c = 0; c < 5; c++) {
                    double s = 0;
                    for (int i = 0; i < 12; i++) {
                        s += x[(n * 12 + i) * 5 + c];
                    }
                    want[n * 5 + c] = s / 12;
                }
            }
            assertClose(want, got, Activation.NONE);
        }
    }

    @Test
    void reshapeThenSoftmax() {
        float[] x = random(24, 61, -3, 3);
        ModelBuilder b = new ModelBuilder("reshape_softmax");
        int in = b.input("x", TensorType.FLOAT32, 1, 2, 3, 4);
        int r = b.reshape("r", in, -1, 6);
        assertArrayEquals(new int[] {4, 6}, b.shape(r));
        int y = b.softmax("y", r, 0.5f);
        b.output(y);
        Model m = b.build();
        Operator reshape = m.mainGraph().operator(0);
        assertEquals(2, reshape.inputCount());
        assertArrayEquals(new int[] {4, 6}, reshape.builtinOptions().getIntArray("new_shape"));
        float[] got = runSingle(m, x, new int[] {4, 6});
        double[] want = new double[24];
        for (int row = 0; row < 4; row++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < 6; i++) {
                max = Math.max(max, x[row * 6 + i]);
            }
            double sum = 0;
            for (int i = 0; i < 6; i++) {
                want[row * 6 + i] = Math.exp(0.5 * (x[row * 6 + i] - max));
                sum += want[row * 6 + i];
            }
            for (int i = 0; i < 6; i++) {
                want[row * 6 + i] /= sum;
            }
        }
        assertClose(want, got, Activation.NONE);
    }

    @Test
    void concatenationAlongLastAxis() {
        float[] x = random(2 * 2 * 3, 71, -1, 1);
        float[] z = random(2 * 2 * 1, 72, -1, 1);
        ModelBuilder b = new ModelBuilder("concat");
        int xi = b.input("x", TensorType.FLOAT32, 1, 2, 2, 3);
        int zi = b.input("z", TensorType.FLOAT32, 1, 2, 2, 1);
        int y = b.concatenation("y", -1, xi, zi);
        b.output(y);
        assertArrayEquals(new int[] {1, 2, 2, 4}, b.shape(y));
        float[] got = run(b.build(), new int[] {1, 2, 2, 4}, x, z);
        double[] want = new double[16];
        for (int p = 0; p < 4; p++) {
            for (int c = 0; c < 3; c++) {
                want[p * 4 + c] = x[p * 3 + c];
            }
            want[p * 4 + 3] = z[p];
        }
        assertClose(want, got, Activation.NONE);
    }

    @Test
    void padAddsZerosAroundTheInput() {
        float[] x = random(2 * 3, 81, -1, 1);
        ModelBuilder b = new ModelBuilder("pad");
        int in = b.input("x", TensorType.FLOAT32, 2, 3);
        int y = b.pad("y", in, new int[][] {{1, 0}, {0, 2}});
        b.output(y);
        assertArrayEquals(new int[] {3, 5}, b.shape(y));
        float[] got = runSingle(b.build(), x, new int[] {3, 5});
        double[] want = new double[15];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 3; j++) {
                want[(i + 1) * 5 + j] = x[i * 3 + j];
            }
        }
        assertClose(want, got, Activation.NONE);
    }

    @Test
    void unaryActivations() {
        float[] x = random(20, 91, -8, 8);
        ModelBuilder b = new ModelBuilder("unary");
        int in = b.input("x", TensorType.FLOAT32, 4, 5);
        b.output(b.relu("relu", in));
        b.output(b.relu6("relu6", in));
        b.output(b.logistic("logistic", in));
        b.output(b.tanh("tanh", in));
        Model m = b.build();
        try (TfliteInterpreter tfl = interpreter(m)) {
            tfl.setInput(0, floats(x, 4, 5));
            tfl.invoke();
            for (int i = 0; i < x.length; i++) {
                double v = x[i];
                assertEquals(Math.max(0, v), tfl.output(0).getDouble(i), TOL);
                assertEquals(Math.min(6, Math.max(0, v)), tfl.output(1).getDouble(i), TOL);
                assertEquals(1 / (1 + Math.exp(-v)), tfl.output(2).getDouble(i), TOL);
                assertEquals(Math.tanh(v), tfl.output(3).getDouble(i), TOL);
            }
        }
    }

    @Test
    void genericOpWritesGivenOptionsAndOutputs() {
        float[] x = random(6, 101, -1, 1);
        float[] z = random(6, 102, -1, 1);
        ModelBuilder b = new ModelBuilder("generic");
        int xi = b.input("x", TensorType.FLOAT32, 2, 3);
        int zi = b.constant("z", z, 2, 3);
        int y = b.op(BuiltinOperator.MUL, BuiltinOptions.of("MulOptions").set("fused_activation_function", 1),
                new int[] {xi, zi}, TensorSpec.of("y", TensorType.FLOAT32, 2, 3));
        // An operator with an options table but no options given gets an empty table.
        int s = b.op(BuiltinOperator.SQUEEZE, null, new int[] {y}, TensorSpec.of("s", TensorType.FLOAT32, 2, 3));
        b.output(s);
        Model m = b.build();
        assertEquals("SqueezeOptions", m.mainGraph().operator(1).builtinOptions().schema().name());
        float[] got = runSingle(m, x, new int[] {2, 3});
        double[] want = new double[6];
        for (int i = 0; i < 6; i++) {
            want[i] = (double) x[i] * z[i];
        }
        assertClose(want, got, Activation.RELU);
    }

    @Test
    void quantizedInt8ConvRunsWithItsParameters() {
        // int8 conv the way converters write it: per-channel weights, int32 bias with scale
        // input_scale * weight_scale, output parameters set after the op.
        float inScale = 0.05f;
        int inZp = 3;
        float[] wScale = {0.01f, 0.02f};
        float outScale = 0.25f;
        int outZp = -5;
        Random r = new Random(111);
        byte[] x = new byte[1 * 4 * 4 * 2];
        for (int i = 0; i < x.length; i++) {
            x[i] = (byte) (r.nextInt(255) - 127);
        }
        byte[] wq = new byte[2 * 3 * 3 * 2];
        for (int i = 0; i < wq.length; i++) {
            wq[i] = (byte) (r.nextInt(255) - 127);
        }
        int[] bq = {r.nextInt(2001) - 1000, r.nextInt(2001) - 1000};
        ModelBuilder b = new ModelBuilder("int8_conv");
        int in = b.input("x", TensorType.INT8, Quantization.perTensor(inScale, inZp), 1, 4, 4, 2);
        int w = b.constant("w", wq, Quantization.perAxis(wScale, new long[] {0, 0}, 0), 2, 3, 3, 2);
        int bias = b.constant("b", bq, Quantization.perAxis(new float[] {inScale * wScale[0], inScale * wScale[1]},
                new long[] {0, 0}, 0), 2);
        int y = b.conv2d("y", in, w, bias, Padding.SAME, 1, Activation.NONE);
        b.setQuantization(y, Quantization.perTensor(outScale, outZp));
        int p = b.maxPool2d("p", y, 2, 2, Padding.VALID);
        b.output(p);
        Model m = b.build();
        assertEquals(m.mainGraph().tensor(y).quantization(), m.mainGraph().tensor(p).quantization());

        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = inScale * (x[i] - inZp);
        }
        float[] wf = new float[wq.length];
        for (int i = 0; i < wq.length; i++) {
            wf[i] = wScale[i / 18] * wq[i];
        }
        float[] bf = {bq[0] * inScale * wScale[0], bq[1] * inScale * wScale[1]};
        double[] conv = naiveConv(xf, new int[] {1, 4, 4, 2}, wf, 3, 3, 2, bf, Padding.SAME, 1, 1, 1, 4, 4, false, 1);
        try (TfliteInterpreter tfl = interpreter(m)) {
            tfl.setInput(0, new TensorData(TensorType.INT8, new int[] {1, 4, 4, 2}, ByteBuffer.wrap(x)));
            tfl.invoke();
            TensorData out = tfl.output(0);
            assertEquals(TensorType.INT8, out.type());
            assertArrayEquals(new int[] {1, 2, 2, 2}, out.shape());
            for (int oy = 0; oy < 2; oy++) {
                for (int ox = 0; ox < 2; ox++) {
                    for (int c = 0; c < 2; c++) {
                        double best = Double.NEGATIVE_INFINITY;
                        for (int dy = 0; dy < 2; dy++) {
                            for (int dx = 0; dx < 2; dx++) {
                                best = Math.max(best, conv[((oy * 2 + dy) * 4 + ox * 2 + dx) * 2 + c]);
                            }
                        }
                        long q = Math.max(-128, Math.min(127, Math.round(best / outScale) + outZp));
                        // Fixed-point requantization may round the other way: one step off is fine.
                        assertEquals(q, out.getDouble((oy * 2 + ox) * 2 + c), 1.0);
                    }
                }
            }
        }
    }

    @Test
    void quantizedConvWithoutBiasGetsADerivedZeroBias() {
        ModelBuilder b = new ModelBuilder("int8_nobias");
        int in = b.input("x", TensorType.INT8, Quantization.perTensor(0.5, 0), 1, 3, 3, 2);
        int w = b.constant("w", new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18},
                Quantization.perAxis(new float[] {0.25f, 0.125f}, new long[] {0, 0}, 3), 1, 3, 3, 2);
        int y = b.depthwiseConv2d("y", in, w, -1, Padding.VALID, 1, Activation.NONE);
        b.setQuantization(y, Quantization.perTensor(1.0, 0));
        b.output(y);
        Model m = b.build();
        Tensor bias = m.mainGraph().tensor(m.mainGraph().operator(0).input(2));
        assertEquals(TensorType.INT32, bias.type());
        assertArrayEquals(new float[] {0.125f, 0.0625f}, bias.quantization().scale());
        try (TfliteInterpreter tfl = interpreter(m)) {
            byte[] ones = new byte[18];
            Arrays.fill(ones, (byte) 2); // real value 1.0
            tfl.setInput(0, new TensorData(TensorType.INT8, new int[] {1, 3, 3, 2}, ByteBuffer.wrap(ones)));
            tfl.invoke();
            // Channel 0 sums 0.25 * (1+3+...+17) = 20.25, channel 1 0.125 * (2+4+...+18) = 11.25.
            assertEquals(20, tfl.output(0).getDouble(0), 1.0);
            assertEquals(11, tfl.output(0).getDouble(1), 1.0);
        }
    }

    @Test
    void quantizedSoftmaxGetsTfliteFixedOutputParameters() {
        ModelBuilder b = new ModelBuilder("int8_softmax");
        int in = b.input("x", TensorType.INT8, Quantization.perTensor(0.1, 0), 1, 8);
        int y = b.softmax("y", in, 1f);
        b.output(y);
        Model m = b.build();
        assertEquals(Quantization.perTensor(1.0 / 256, -128), m.mainGraph().tensor(y).quantization());
        try (TfliteInterpreter tfl = interpreter(m)) {
            tfl.setInput(0, TensorData.zeros(TensorType.INT8, 1, 8));
            tfl.invoke();
            // Equal logits: each class gets 1/8, i.e. 32/256 above the zero point.
            assertEquals(-128 + 32, tfl.output(0).getDouble(0), 1.0);
        }
    }

    // ---- bad arguments ----

    @Test
    void badArgumentsAreRejectedWithClearMessagesAndAddNothing() {
        ModelBuilder b = new ModelBuilder("bad");
        int x = b.input("x", TensorType.FLOAT32, 1, 8, 8, 3);
        int w3 = b.constant("w3", new float[4 * 3 * 3], 4, 3, 3);
        int w = b.constant("w", new float[4 * 3 * 3 * 2], 4, 3, 3, 2);
        int wOk = b.constant("wOk", new float[4 * 3 * 3 * 3], 4, 3, 3, 3);
        int bias5 = b.constant("bias5", new float[5], 5);
        int fcW = b.constant("fcW", new float[10 * 7], 10, 7);
        int q = b.input("q", TensorType.INT8, 1, 8, 8, 3);
        int dw = b.constant("dw", new float[3 * 3 * 4], 1, 3, 3, 4);
        int c2 = b.constant("c2", new float[2], 2);
        int tensorsBefore = b.tensorCount();

        expect("must have rank 4", () -> b.conv2d("c", x, w3, -1, Padding.SAME, 1, Activation.NONE));
        expect("input channels", () -> b.conv2d("c", x, w, -1, Padding.SAME, 1, Activation.NONE));
        expect("unknown tensor index 99", () -> b.conv2d("c", x, 99, -1, Padding.SAME, 1, Activation.NONE));
        expect("bias 'bias5' [5] has 5 elements", () -> b.conv2d("c", x, wOk, bias5, Padding.SAME, 1,
                Activation.NONE));
        expect("ignore a fused TANH", () -> b.conv2d("c", x, wOk, -1, Padding.SAME, 1, Activation.TANH));
        expect("pass a bias", () -> b.conv2d("c", q, wOk, -1, Padding.SAME, 1, Activation.NONE));
        expect("strides must be >= 1", () -> b.conv2d("c", x, wOk, -1, Padding.SAME, 0, Activation.NONE));
        expect("larger than the input", () -> b.conv2d("c", x, wOk, -1, Padding.VALID, 1, 1, 4, 4,
                Activation.NONE));
        expect("not a multiple of the input's 3 channels", () -> b.depthwiseConv2d("d", x, dw, -1,
                Padding.SAME, 1, Activation.NONE));
        expect("does not flatten", () -> b.fullyConnected("f", x, fcW, -1, Activation.NONE));
        expect("axis 4 out of range", () -> b.mean("m", x, new int[] {4}, false));
        expect("given twice", () -> b.mean("m", x, new int[] {1, -3}, false));
        expect("holds 10 elements", () -> b.reshape("r", x, 2, 5));
        expect("at most one -1", () -> b.reshape("r", x, -1, -1));
        expect("do not broadcast", () -> b.add("a", x, c2, Activation.NONE));
        expect("already used", () -> b.conv2d("x", x, wOk, -1, Padding.SAME, 1, Activation.NONE));
        expect("already used", () -> b.mean("w", x, new int[] {1}, false));
        expect("has 3 values but shape [2, 2]", () -> b.constant("k", new float[3], 2, 2));
        expect("needs 16 bytes, got 3", () -> b.constant("k", TensorType.FLOAT32, null, ByteBuffer.allocate(3), 2, 2));
        expect("2 padding pairs", () -> b.pad("p", x, new int[][] {{0, 0}, {1, 1}}));
        expect("CONV_2D takes Conv2DOptions, not Pool2DOptions", () -> b.op(BuiltinOperator.CONV_2D,
                BuiltinOptions.of("Pool2DOptions"), new int[] {x, wOk}, TensorSpec.of("o", TensorType.FLOAT32, 1)));
        expect("RELU takes no options", () -> b.op(BuiltinOperator.RELU, BuiltinOptions.of("Pool2DOptions"),
                new int[] {x}, TensorSpec.of("o", TensorType.FLOAT32, 1)));
        expect("concatenation 'cc': input", () -> b.concatenation("cc", 3, x, wOk));
        expect("output: unknown tensor index -2", () -> b.output(-2));

        // Checks come first: no failed call left a tensor (or a helper constant) behind.
        assertEquals(tensorsBefore, b.tensorCount());
        b.output(b.conv2d("c", x, wOk, -1, Padding.SAME, 2, Activation.NONE));
        Model m = b.build();
        assertEquals(1, m.mainGraph().operatorCount());
        assertArrayEquals(new int[] {1, 4, 4, 4}, m.mainGraph().tensor(m.mainGraph().outputs()[0]).shape());
        assertThrows(IllegalStateException.class, b::build);
        assertThrows(IllegalStateException.class, () -> b.input("late", TensorType.FLOAT32, 1));
    }

    @Test
    void buildWithoutOutputIsRefused() {
        ModelBuilder b = new ModelBuilder("empty");
        b.input("x", TensorType.FLOAT32, 1);
        IllegalStateException e = assertThrows(IllegalStateException.class, b::build);
        assertTrue(e.getMessage().contains("no output"), e.getMessage());
    }

    // ---- helpers ----

    private static void expect(String fragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment),
                () -> "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    private static TfliteInterpreter interpreter(Model m) {
        return TfliteInterpreter.create(ModelWriter.toBytes(m), TfliteOptions.defaults().useXnnpack(false));
    }

    private static float[] runSingle(Model m, float[] input, int[] expectedShape) {
        return run(m, expectedShape, input);
    }

    /** Runs a float model with one output and checks TFLite computed the shape the builder inferred. */
    private static float[] run(Model m, int[] expectedShape, float[]... inputs) {
        try (TfliteInterpreter tfl = interpreter(m)) {
            for (int i = 0; i < inputs.length; i++) {
                tfl.setInput(i, floats(inputs[i], tfl.inputInfo(i).shape()));
            }
            tfl.invoke();
            TensorData out = tfl.output(0);
            assertArrayEquals(expectedShape, out.shape(), "TFLite's output shape");
            double[] d = out.toDoubleArray();
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
    }

    private static TensorData floats(float[] v, int... shape) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return new TensorData(TensorType.FLOAT32, shape, b);
    }

    private static float[] random(int n, long seed, double lo, double hi) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return v;
    }

    /** Padding before the first cell, as TensorFlow splits an odd total: the extra cell goes after. */
    private static int pad(Padding p, int in, int k, int stride, int dilation, int out) {
        if (p == Padding.VALID) {
            return 0;
        }
        int effective = (k - 1) * dilation + 1;
        return Math.max(0, (out - 1) * stride + effective - in) / 2;
    }

    /**
     * Convolution from its definition. Regular: weights OHWI. Depthwise: weights
     * {@code [1, kh, kw, cin * mult]}, output channel {@code ic * mult + m} reads input channel ic.
     */
    private static double[] naiveConv(float[] x, int[] xs, float[] w, int kh, int kw, int cout, float[] bias,
            Padding padding, int sh, int sw, int dil, int oh, int ow, boolean depthwise, int mult) {
        int n = xs[0];
        int h = xs[1];
        int wd = xs[2];
        int cin = xs[3];
        int padT = pad(padding, h, kh, sh, dil, oh);
        int padL = pad(padding, wd, kw, sw, dil, ow);
        double[] out = new double[n * oh * ow * cout];
        for (int b = 0; b < n; b++) {
            for (int oy = 0; oy < oh; oy++) {
                for (int ox = 0; ox < ow; ox++) {
                    for (int oc = 0; oc < cout; oc++) {
                        double s = bias == null ? 0 : bias[oc];
                        for (int ky = 0; ky < kh; ky++) {
                            for (int kx = 0; kx < kw; kx++) {
                                int iy = oy * sh - padT + ky * dil;
                                int ix = ox * sw - padL + kx * dil;
                                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                                    continue;
                                }
                                int base = ((b * h + iy) * wd + ix) * cin;
                                if (depthwise) {
                                    s += (double) x[base + oc / mult] * w[(ky * kw + kx) * cout + oc];
                                } else {
                                    for (int ic = 0; ic < cin; ic++) {
                                        s += (double) x[base + ic] * w[((oc * kh + ky) * kw + kx) * cin + ic];
                                    }
                                }
                            }
                        }
                        out[((b * oh + oy) * ow + ox) * cout + oc] = s;
                    }
                }
            }
        }
        return out;
    }

    private static double activate(double v, Activation act) {
        return switch (act) {
            case NONE -> v;
            case RELU -> Math.max(0, v);
            case RELU_N1_TO_1 -> Math.max(-1, Math.min(1, v));
            case RELU6 -> Math.max(0, Math.min(6, v));
            case TANH -> Math.tanh(v);
        };
    }

    private static void assertClose(double[] want, float[] got, Activation act) {
        assertEquals(want.length, got.length, "element count");
        for (int i = 0; i < want.length; i++) {
            double e = activate(want[i], act);
            double tol = TOL * Math.max(1, Math.abs(e));
            int at = i;
            assertTrue(Math.abs(got[i] - e) <= tol, () -> "element " + at + ": TFLite " + got[at] + ", naive " + e);
        }
        assertNotEquals(0, want.length);
    }
}
