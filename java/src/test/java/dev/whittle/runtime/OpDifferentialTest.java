package dev.whittle.runtime;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.ModelBuilder.Activation;
import dev.whittle.model.ModelBuilder.Padding;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

/** Single-op models with odd shapes, each compared tensor by tensor with TFLite's builtin kernels. */
class OpDifferentialTest {
    private static float[] random(long seed, int n) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
        }
        return v;
    }

    @Test
    void conv2d() {
        int[][] cases = {
            // h, w, inC, outC, kh, kw, stride, dilation
            {1, 1, 1, 1, 1, 1, 1, 1},
            {5, 7, 3, 5, 3, 3, 2, 1},
            {6, 6, 3, 5, 2, 2, 2, 1},
            {9, 10, 5, 7, 4, 3, 2, 1},
            {10, 9, 6, 3, 3, 3, 1, 2},
            {7, 8, 2, 9, 2, 4, 3, 1},
        };
        for (int[] c : cases) {
            for (Padding padding : Padding.values()) {
                for (Activation act : new Activation[] {Activation.NONE, Activation.RELU6}) {
                    ModelBuilder b = new ModelBuilder("conv");
                    int x = b.input("x", TensorType.FLOAT32, 2, c[0], c[1], c[2]);
                    int w = b.constant("w", random(c[0] * 31L + c[3], c[3] * c[4] * c[5] * c[2]), c[3], c[4], c[5], c[2]);
                    int bias = b.constant("b", random(7, c[3]), c[3]);
                    b.output(b.conv2d("y", x, w, bias, padding, c[6], c[6], c[7], c[7], act));
                    Model m = b.build();
                    Differential.compare("CONV_2D " + java.util.Arrays.toString(c) + " " + padding + " " + act, m, 3);
                }
            }
        }
    }

    @Test
    void depthwiseConv2d() {
        int[][] cases = {
            // h, w, inC, multiplier, kh, kw, stride, dilation
            {1, 1, 1, 1, 1, 1, 1, 1},
            {5, 7, 3, 2, 3, 3, 2, 1},
            {6, 6, 5, 1, 2, 2, 2, 1},
            {9, 10, 3, 3, 4, 3, 1, 2},
            {8, 7, 7, 1, 3, 3, 3, 1},
        };
        for (int[] c : cases) {
            for (Padding padding : Padding.values()) {
                ModelBuilder b = new ModelBuilder("dw");
                int x = b.input("x", TensorType.FLOAT32, 1, c[0], c[1], c[2]);
                int oc = c[2] * c[3];
                int w = b.constant("w", random(c[0] + 5L * c[2], c[4] * c[5] * oc), 1, c[4], c[5], oc);
                int bias = b.constant("b", random(9, oc), oc);
                b.output(b.depthwiseConv2d("y", x, w, bias, padding, c[6], c[6], c[7], c[7], Activation.RELU));
                Differential.compare("DEPTHWISE_CONV_2D " + java.util.Arrays.toString(c) + " " + padding, b.build(), 5);
            }
        }
    }

    @Test
    void fullyConnected() {
        for (int[] c : new int[][] {{1, 1, 1}, {3, 7, 5}, {2, 10, 9}}) {
            for (boolean withBias : new boolean[] {true, false}) {
                ModelBuilder b = new ModelBuilder("fc");
                int x = b.input("x", TensorType.FLOAT32, c[0], c[1]);
                int w = b.constant("w", random(c[1], c[2] * c[1]), c[2], c[1]);
                int bias = withBias ? b.constant("b", random(3, c[2]), c[2]) : -1;
                b.output(b.fullyConnected("y", x, w, bias, Activation.RELU));
                Differential.compare("FULLY_CONNECTED " + java.util.Arrays.toString(c) + " bias " + withBias, b.build(), 6);
            }
        }
        // keep_num_dims: [2, 3, 5] x [7, 5] -> [2, 3, 7].
        ModelBuilder b = new ModelBuilder("fc_keep");
        int x = b.input("x", TensorType.FLOAT32, 2, 3, 5);
        int w = b.constant("w", random(11, 7 * 5), 7, 5);
        BuiltinOptions o = BuiltinOptions.of("FullyConnectedOptions").set("keep_num_dims", true);
        b.output(b.op(BuiltinOperator.FULLY_CONNECTED, o, new int[] {x, w, -1},
                TensorSpec.of("y", TensorType.FLOAT32, 2, 3, 7)));
        Differential.compare("FULLY_CONNECTED keep_num_dims", b.build(), 7);
    }

    @Test
    void pools() {
        int[][] cases = {
            // h, w, c, filter, stride
            {1, 1, 1, 1, 1},
            {5, 7, 3, 3, 2},
            {6, 6, 5, 2, 2},
            {9, 10, 7, 4, 3},
            {7, 7, 2, 3, 1},
        };
        for (int[] c : cases) {
            for (Padding padding : Padding.values()) {
                for (boolean max : new boolean[] {true, false}) {
                    ModelBuilder b = new ModelBuilder("pool");
                    int x = b.input("x", TensorType.FLOAT32, 2, c[0], c[1], c[2]);
                    b.output(max ? b.maxPool2d("y", x, c[3], c[4], padding) : b.averagePool2d("y", x, c[3], c[4], padding));
                    Differential.compare((max ? "MAX_POOL_2D " : "AVERAGE_POOL_2D ") + java.util.Arrays.toString(c) + " "
                            + padding, b.build(), 8);
                }
            }
        }
    }

    @Test
    void addAndMulBroadcast() {
        int[][][] shapes = {
            {{1, 5, 7, 3}, {1, 5, 7, 3}},
            {{2, 5, 7, 3}, {3}},
            {{4, 1, 6}, {5, 1}},
            {{1}, {3, 2}},
        };
        for (int[][] sh : shapes) {
            for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.MUL}) {
                ModelBuilder b = new ModelBuilder("bin");
                int x = b.input("x", TensorType.FLOAT32, sh[0]);
                int y = b.input("y", TensorType.FLOAT32, sh[1]);
                int[] out = broadcast(sh[0], sh[1]);
                BuiltinOptions o = BuiltinOptions.of(op == BuiltinOperator.ADD ? "AddOptions" : "MulOptions")
                        .set("fused_activation_function", Activation.RELU6.code());
                b.output(b.op(op, o, new int[] {x, y}, TensorSpec.of("z", TensorType.FLOAT32, out)));
                Differential.compare(op + " " + java.util.Arrays.toString(sh[0]) + " " + java.util.Arrays.toString(sh[1]),
                        b.build(), 9);
            }
        }
        // A constant operand.
        ModelBuilder b = new ModelBuilder("add_const");
        int x = b.input("x", TensorType.FLOAT32, 1, 3, 5);
        int c = b.constant("c", random(4, 5), 5);
        b.output(b.add("y", x, c, Activation.NONE));
        Differential.compare("ADD constant", b.build(), 10);
    }

    private static int[] broadcast(int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int d = 0; d < rank; d++) {
            int x = d - (rank - a.length) >= 0 ? a[d - (rank - a.length)] : 1;
            int y = d - (rank - b.length) >= 0 ? b[d - (rank - b.length)] : 1;
            out[d] = Math.max(x, y);
        }
        return out;
    }

    @Test
    void activationsAndSoftmax() {
        for (int[] shape : new int[][] {{1}, {3, 7}, {2, 5, 9}}) {
            ModelBuilder b = new ModelBuilder("act");
            int x = b.input("x", TensorType.FLOAT32, shape);
            int r = b.relu("relu", x);
            int r6 = b.relu6("relu6", x);
            int l = b.logistic("logistic", x);
            int t = b.tanh("tanh", x);
            b.output(r).output(r6).output(l).output(t);
            b.output(b.softmax("softmax", x, 1.0f));
            b.output(b.softmax("softmax_beta", x, 0.37f));
            Differential.compare("RELU RELU6 LOGISTIC TANH SOFTMAX " + java.util.Arrays.toString(shape), b.build(), 11);
        }
    }

    @Test
    void shapesAndData() {
        ModelBuilder b = new ModelBuilder("shapes");
        int x = b.input("x", TensorType.FLOAT32, 2, 5, 1, 3);
        int flat = b.reshape("flat", x, 2, -1);
        BuiltinOptions sq = BuiltinOptions.of("SqueezeOptions").set("squeeze_dims", new int[] {2});
        int squeezed = b.op(BuiltinOperator.SQUEEZE, sq, new int[] {x}, TensorSpec.of("squeezed", TensorType.FLOAT32, 2, 5, 3));
        int padded = b.pad("padded", squeezed, new int[][] {{0, 1}, {2, 0}, {1, 3}});
        int m1 = b.mean("mean_hw", x, new int[] {1, 2}, false);
        int m2 = b.mean("mean_keep", x, new int[] {-1, 0}, true);
        int y = b.input("y", TensorType.FLOAT32, 2, 5, 1, 4);
        int cat = b.concatenation("cat", -1, x, y, x);
        int cat0 = b.concatenation("cat0", 0, x, x);
        b.output(flat).output(padded).output(m1).output(m2).output(cat).output(cat0);
        Differential.compare("RESHAPE SQUEEZE PAD MEAN CONCATENATION", b.build(), 12);
    }
}
