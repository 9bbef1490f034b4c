package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.Activation;
import dev.whittle.model.ModelBuilder.Padding;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Operator;
import dev.whittle.model.Quantization;
import dev.whittle.model.Subgraph;
import dev.whittle.model.io.ModelReader;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Quantized AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SUM, RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR,
 * CONCATENATION, PAD, PADV2, ARG_MAX and ARG_MIN against TFLite's builtin kernels, 0 LSB.
 */
class PoolResizeConcatOpsTest {
    private static final TensorType[] QUANTIZED = {TensorType.INT8, TensorType.UINT8, TensorType.INT16};

    /** A per-tensor quantization for {@code type} with its zero point at the low end, middle or high end. */
    static Quantization q(TensorType type, double scale, int where) {
        long zp = switch (type) {
            case INT8 -> where < 0 ? -128 : where > 0 ? 127 : 3;
            case UINT8 -> where < 0 ? 0 : where > 0 ? 255 : 131;
            default -> 0;
        };
        return Quantization.perTensor(scale, zp);
    }

    /**
     * Compares with random inputs over each type's whole range, integers bit for bit. (Builds
     * its own inputs: {@code Differential.randomInput} writes integer inputs into the read-only
     * buffer of {@code TensorData.zeros}.)
     */
    static void compare(String label, Model model, long seed) {
        CompiledModel compiled = CompiledModel.compile(model);
        List<TensorData> inputs = new ArrayList<>();
        for (int i = 0; i < compiled.inputCount(); i++) {
            Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            inputs.add(random(t.type(), t.shape(), seed * 31 + i));
        }
        Differential.compare(label, model, inputs, Differential.TOLERANCE, 0);
    }

    static TensorData random(TensorType type, int[] shape, long seed) {
        if (type == TensorType.FLOAT32) {
            return Differential.randomFloat(shape, seed, -1, 1);
        }
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(n * Math.max(1, type.bits() / 8)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (type) {
                case INT8, UINT8 -> b.put(i, (byte) r.nextInt(256));
                case INT16 -> b.putShort(i * 2, (short) r.nextInt(65536));
                case INT32 -> b.putInt(i * 4, r.nextInt(-100, 101));
                case INT64 -> b.putLong(i * 8, r.nextInt(-100, 101));
                default -> throw new IllegalArgumentException("no random inputs of type " + type);
            }
        }
        return new TensorData(type, shape, b);
    }

    static void expectRefusal(Model m, String... fragments) {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    // ---- pools ----

    @Test
    void quantizedPools() {
        int[][] cases = {
            // h, w, c, fh, fw, sh, sw
            {1, 1, 1, 1, 1, 1, 1},
            {5, 7, 3, 3, 3, 2, 2},
            {6, 6, 5, 2, 2, 2, 2},
            {9, 10, 17, 4, 3, 3, 2},
            {7, 7, 1, 3, 3, 1, 1},
            {4, 5, 3, 5, 4, 1, 3},
        };
        Activation[] acts = {Activation.NONE, Activation.RELU, Activation.RELU6, Activation.RELU_N1_TO_1};
        int k = 0;
        for (TensorType type : QUANTIZED) {
            for (int[] c : cases) {
                for (Padding padding : Padding.values()) {
                    for (boolean max : new boolean[] {true, false}) {
                        int where = (k % 3) - 1;
                        Activation act = acts[k % acts.length];
                        k++;
                        ModelBuilder b = new ModelBuilder("pool");
                        int x = b.input("x", type, q(type, 0.05, where), 2, c[0], c[1], c[2]);
                        b.output(max ? b.maxPool2d("y", x, c[3], c[4], c[5], c[6], padding, act)
                                : b.averagePool2d("y", x, c[3], c[4], c[5], c[6], padding, act));
                        compare((max ? "MAX_POOL_2D " : "AVERAGE_POOL_2D ") + type + " "
                                + Arrays.toString(c) + " " + padding + " " + act + " zp " + where, b.build(), 11 + k);
                    }
                }
            }
        }
    }

    @Test
    void poolRefusals() {
        ModelBuilder b = new ModelBuilder("pool_requant");
        int x = b.input("x", TensorType.INT8, Quantization.perTensor(0.1, 0), 1, 4, 4, 3);
        BuiltinOptions o = BuiltinOptions.of("Pool2DOptions").set("padding", 1).set("stride_w", 1).set("stride_h", 1)
                .set("filter_width", 2).set("filter_height", 2);
        b.output(b.op(BuiltinOperator.AVERAGE_POOL_2D, o, new int[] {x},
                TensorSpec.quantized("y", TensorType.INT8, Quantization.perTensor(0.2, 0), 1, 3, 3, 3)));
        expectRefusal(b.build(), "AVERAGE_POOL_2D", "same quantization");

        ModelBuilder b2 = new ModelBuilder("pool_int32");
        int x2 = b2.input("x", TensorType.INT32, 1, 4, 4, 3);
        b2.output(b2.maxPool2d("y", x2, 2, 2, Padding.VALID));
        expectRefusal(b2.build(), "MAX_POOL_2D", "INT32");
    }

    // ---- MEAN and SUM ----

    private static int[] reducedShape(int[] in, int[] axes, boolean keep) {
        boolean[] r = new boolean[in.length];
        for (int a : axes) {
            r[a < 0 ? a + in.length : a] = true;
        }
        List<Integer> out = new ArrayList<>();
        for (int d = 0; d < in.length; d++) {
            if (!r[d]) {
                out.add(in[d]);
            } else if (keep) {
                out.add(1);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    static Model reduce(BuiltinOperator op, TensorType type, Quantization qin, Quantization qout, int[] in, int[] axes,
            boolean keep) {
        ModelBuilder b = new ModelBuilder("reduce");
        int x = qin == null ? b.input("x", type, in) : b.input("x", type, qin, in);
        int a = b.constant("axes", axes.clone(), axes.length);
        BuiltinOptions o = BuiltinOptions.of("ReducerOptions").set("keep_dims", keep);
        b.output(b.op(op, o, new int[] {x, a}, qout == null ? TensorSpec.of("y", type, reducedShape(in, axes, keep))
                : TensorSpec.quantized("y", type, qout, reducedShape(in, axes, keep))));
        return b.build();
    }

    @Test
    void quantizedMeanAndSum() {
        Object[][] cases = {
            // input shape, axes, keep_dims
            {new int[] {1, 5, 7, 3}, new int[] {1, 2}, true},
            {new int[] {2, 4, 3, 17}, new int[] {2, 1}, true},
            {new int[] {1, 7, 7, 32}, new int[] {1, 2}, true},
            {new int[] {1, 1, 1, 5}, new int[] {1, 2}, true},
            {new int[] {2, 5, 7, 3}, new int[] {1, 2}, false},
            {new int[] {2, 5, 6, 5}, new int[] {-3, -2}, true},
            {new int[] {2, 3, 4, 5}, new int[] {3}, false},
            {new int[] {2, 3, 4, 5}, new int[] {0, 1, 2, 3}, true},
            {new int[] {3, 4, 5}, new int[] {1}, true},
            {new int[] {3, 17}, new int[] {0}, false},
            {new int[] {3, 4, 5}, new int[] {-1, 2}, false},
            {new int[] {2, 3, 4, 3, 2}, new int[] {1, 3}, false},
        };
        int k = 0;
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.MEAN, BuiltinOperator.SUM}) {
            for (TensorType type : QUANTIZED) {
                for (Object[] c : cases) {
                    int[] in = (int[]) c[0];
                    int[] axes = (int[]) c[1];
                    boolean keep = (Boolean) c[2];
                    int where = (k % 3) - 1;
                    k++;
                    // Same quantization, and a different output scale and zero point.
                    Quantization qin = q(type, 0.05, where);
                    Quantization qout = op == BuiltinOperator.SUM ? q(type, 0.05 * 3.7, -where) : q(type, 0.031, -where);
                    String label = op + " " + type + " " + Arrays.toString(in) + " axes " + Arrays.toString(axes)
                            + " keep " + keep + " zp " + where;
                    if (op == BuiltinOperator.MEAN) {
                        compare(label + " same q", reduce(op, type, qin, qin, in, axes, keep), 20 + k);
                    }
                    compare(label + " requant", reduce(op, type, qin, qout, in, axes, keep), 40 + k);
                }
            }
        }
    }

    @Test
    void reduceRefusals() {
        expectRefusal(reduce(BuiltinOperator.MEAN, TensorType.INT16, Quantization.perTensor(0.1, 3),
                Quantization.perTensor(0.1, 0), new int[] {1, 3, 3, 2}, new int[] {1, 2}, true), "MEAN", "zero point 0");
        expectRefusal(reduce(BuiltinOperator.MEAN, TensorType.INT32, null, null, new int[] {1, 3, 3, 2},
                new int[] {1, 2}, true), "MEAN", "INT32");
    }

    // ---- RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR ----

    static Model resize(BuiltinOperator op, TensorType type, Quantization qz, int[] in, int oh, int ow, boolean align,
            boolean half) {
        ModelBuilder b = new ModelBuilder("resize");
        int x = qz == null ? b.input("x", type, in) : b.input("x", type, qz, in);
        int size = b.constant("size", new int[] {oh, ow}, 2);
        String schema = op == BuiltinOperator.RESIZE_BILINEAR ? "ResizeBilinearOptions" : "ResizeNearestNeighborOptions";
        BuiltinOptions o = BuiltinOptions.of(schema).set("align_corners", align).set("half_pixel_centers", half);
        int[] out = {in[0], oh, ow, in[3]};
        b.output(b.op(op, o, new int[] {x, size}, qz == null ? TensorSpec.of("y", type, out)
                : TensorSpec.quantized("y", type, qz, out)));
        return b.build();
    }

    @Test
    void resizes() {
        int[][] cases = {
            // n, h, w, c, out h, out w
            {1, 1, 1, 1, 1, 1},
            {1, 1, 1, 3, 4, 5},
            {2, 3, 4, 5, 7, 9},
            {1, 5, 7, 3, 2, 3},
            {1, 4, 4, 17, 8, 8},
            {1, 6, 5, 1, 11, 3},
            {1, 3, 3, 16, 24, 24},
            {1, 2, 3, 8, 16, 24},
            {2, 7, 6, 3, 5, 13},
        };
        TensorType[] types = {TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8, TensorType.INT16};
        int k = 0;
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.RESIZE_BILINEAR,
                BuiltinOperator.RESIZE_NEAREST_NEIGHBOR}) {
            for (TensorType type : types) {
                for (int[] c : cases) {
                    for (boolean[] flags : new boolean[][] {{false, false}, {true, false}, {false, true}}) {
                        k++;
                        Quantization qz = type == TensorType.FLOAT32 ? null : q(type, 0.02, (k % 3) - 1);
                        compare(op + " " + type + " " + Arrays.toString(c) + " align " + flags[0] + " half " + flags[1],
                                resize(op, type, qz, new int[] {c[0], c[1], c[2], c[3]}, c[4], c[5], flags[0], flags[1]),
                                60 + k);
                    }
                }
            }
        }
    }

    /** The three uint8 RESIZE_BILINEAR ops of the DeepLab v3 model, each alone with its shapes and quantization. */
    @Test
    void deeplabResizes() {
        Path file = Path.of(System.getProperty("whittle.shared", "../shared"))
                .resolve("models/deeplabv3_mnv2_dm05_pascal_quant.tflite");
        Assumptions.assumeTrue(Files.isRegularFile(file), "DeepLab model not found at " + file.toAbsolutePath());
        Model deeplab = ModelReader.read(file);
        Subgraph g = deeplab.subgraph(0);
        int found = 0;
        for (Operator op : g.operators()) {
            if (deeplab.operatorCodeOf(op).builtin() != BuiltinOperator.RESIZE_BILINEAR) {
                continue;
            }
            found++;
            Tensor in = g.tensor(op.input(0));
            Tensor out = g.tensor(op.output(0));
            BuiltinOptions o = op.options();
            Model m = resize(BuiltinOperator.RESIZE_BILINEAR, in.type(), in.quantization().copy(), in.shape(),
                    out.dim(1), out.dim(2), o.getBool("align_corners"), o.getBool("half_pixel_centers"));
            compare("deeplab RESIZE_BILINEAR " + Arrays.toString(in.shape()) + " -> " + Arrays.toString(out.shape()), m,
                    90 + found);
        }
        assertTrue(found == 3, "expected 3 RESIZE_BILINEAR ops, found " + found);
    }

    @Test
    void resizeRefusals() {
        expectRefusal(resize(BuiltinOperator.RESIZE_BILINEAR, TensorType.UINT8, Quantization.perTensor(0.1, 3),
                new int[] {1, 3, 3, 2}, 5, 5, true, true), "RESIZE_BILINEAR", "align_corners");
        expectRefusal(resize(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, TensorType.INT32, null, new int[] {1, 3, 3, 2},
                5, 5, false, false), "RESIZE_NEAREST_NEIGHBOR", "INT32");
    }
}
