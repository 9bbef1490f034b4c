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
            {4, 5, 3, 4, 5, 1, 3},
            {3, 3, 300, 3, 3, 1, 1},
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

    // ---- CONCATENATION ----

    static Model concat(TensorType type, Quantization[] qins, Quantization qout, int[][] shapes, int axis, int act) {
        ModelBuilder b = new ModelBuilder("concat");
        int[] ins = new int[shapes.length];
        int rank = shapes[0].length;
        int k = axis < 0 ? axis + rank : axis;
        int[] out = shapes[0].clone();
        out[k] = 0;
        for (int i = 0; i < shapes.length; i++) {
            ins[i] = qins == null ? b.input("x" + i, type, shapes[i]) : b.input("x" + i, type, qins[i], shapes[i]);
            out[k] += shapes[i][k];
        }
        BuiltinOptions o = BuiltinOptions.of("ConcatenationOptions").set("axis", axis)
                .set("fused_activation_function", act);
        b.output(b.op(BuiltinOperator.CONCATENATION, o, ins, qout == null ? TensorSpec.of("y", type, out)
                : TensorSpec.quantized("y", type, qout, out)));
        return b.build();
    }

    @Test
    void concatenations() {
        Object[][] cases = {
            {new int[][] {{1, 1}, {1, 1}}, 1},
            {new int[][] {{2, 3, 4, 5}, {2, 3, 4, 3}, {2, 3, 4, 17}}, -1},
            {new int[][] {{2, 3, 4, 5}, {2, 1, 4, 5}}, 1},
            {new int[][] {{3, 5}, {1, 5}, {2, 5}}, -2},
            {new int[][] {{2, 3, 1}, {2, 3, 2}}, 2},
        };
        TensorType[] types = {TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32, TensorType.INT64};
        int k = 0;
        for (TensorType type : types) {
            for (Object[] c : cases) {
                int[][] shapes = (int[][]) c[0];
                int axis = (Integer) c[1];
                k++;
                boolean quantized = type != TensorType.INT32 && type != TensorType.INT64;
                Quantization[] same = null;
                Quantization out = null;
                if (quantized) {
                    out = q(type, 0.05, (k % 3) - 1);
                    same = new Quantization[shapes.length];
                    Arrays.fill(same, out);
                }
                compare("CONCATENATION " + type + " " + Arrays.deepToString(shapes) + " axis " + axis,
                        concat(type, same, out, shapes, axis, 0), 100 + k);
                if (type == TensorType.UINT8) {
                    // Each input with its own scale and zero point, the last one as the output's.
                    Quantization[] differ = new Quantization[shapes.length];
                    for (int i = 0; i < shapes.length; i++) {
                        differ[i] = i == shapes.length - 1 ? out : Quantization.perTensor(0.013 * (i + 1) + 0.001 * k,
                                i % 2 == 0 ? 0 : 255 - 7 * i);
                    }
                    compare("CONCATENATION UINT8 rescaled " + Arrays.deepToString(shapes) + " axis " + axis,
                            concat(type, differ, q(type, 0.021, -1 + (k % 2) * 2), shapes, axis, 0), 120 + k);
                }
            }
        }
    }

    @Test
    void concatRefusals() {
        Quantization a = Quantization.perTensor(0.1, 3);
        Quantization b = Quantization.perTensor(0.2, 3);
        int[][] shapes = {{1, 2}, {1, 3}};
        expectRefusal(concat(TensorType.INT8, new Quantization[] {a, b}, a, shapes, 1, 0), "CONCATENATION",
                "must be quantized as the output");
        expectRefusal(concat(TensorType.FLOAT32, null, null, shapes, 1, 1), "CONCATENATION", "fused activation");
        expectRefusal(concat(TensorType.INT16, new Quantization[] {a, a}, a, shapes, 1, 0), "CONCATENATION",
                "zero point 0");
    }

    // ---- PAD and PADV2 ----

    static Model pad(TensorType type, Quantization qz, int[] in, int[][] paddings, boolean int64Paddings,
            Object value) {
        ModelBuilder b = new ModelBuilder("pad");
        int x = qz == null ? b.input("x", type, in) : b.input("x", type, qz, in);
        int[] flat = new int[in.length * 2];
        int[] out = new int[in.length];
        for (int d = 0; d < in.length; d++) {
            flat[2 * d] = paddings[d][0];
            flat[2 * d + 1] = paddings[d][1];
            out[d] = in[d] + paddings[d][0] + paddings[d][1];
        }
        int p;
        if (int64Paddings) {
            long[] l = new long[flat.length];
            for (int i = 0; i < l.length; i++) {
                l[i] = flat[i];
            }
            p = b.constant("paddings", l, in.length, 2);
        } else {
            p = b.constant("paddings", flat, in.length, 2);
        }
        TensorSpec spec = qz == null ? TensorSpec.of("y", type, out) : TensorSpec.quantized("y", type, qz, out);
        if (value == null) {
            b.output(b.op(BuiltinOperator.PAD, null, new int[] {x, p}, spec));
        } else {
            int v = switch (type) {
                case FLOAT32 -> b.constant("value", new float[] {(Float) value});
                case INT32 -> b.constant("value", new int[] {(Integer) value});
                case INT64 -> b.constant("value", new long[] {(Integer) value});
                case INT16 -> b.constant("value", new short[] {(short) (int) (Integer) value}, qz);
                case UINT8 -> b.constant("value", TensorType.UINT8, qz,
                        ByteBuffer.wrap(new byte[] {(byte) (int) (Integer) value}));
                default -> b.constant("value", new byte[] {(byte) (int) (Integer) value}, qz);
            };
            b.output(b.op(BuiltinOperator.PADV2, null, new int[] {x, p, v}, spec));
        }
        return b.build();
    }

    @Test
    void pads() {
        Object[][] cases = {
            {new int[] {1}, new int[][] {{2, 3}}},
            {new int[] {1, 1, 1, 1}, new int[][] {{0, 0}, {1, 1}, {1, 1}, {0, 0}}},
            {new int[] {2, 3, 4, 5}, new int[][] {{0, 1}, {2, 0}, {1, 3}, {0, 2}}},
            {new int[] {2, 5, 3}, new int[][] {{1, 1}, {0, 0}, {2, 1}}},
            {new int[] {2, 3, 2, 3, 2}, new int[][] {{1, 0}, {0, 1}, {1, 1}, {0, 0}, {2, 1}}},
            {new int[] {3, 17}, new int[][] {{0, 0}, {0, 0}}},
        };
        TensorType[] types = {TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8, TensorType.INT16,
            TensorType.INT32, TensorType.INT64};
        int k = 0;
        for (TensorType type : types) {
            for (Object[] c : cases) {
                k++;
                int[] in = (int[]) c[0];
                int[][] pads = (int[][]) c[1];
                boolean quantized = type == TensorType.INT8 || type == TensorType.UINT8 || type == TensorType.INT16;
                Quantization qz = quantized ? q(type, 0.03, (k % 3) - 1) : null;
                String label = type + " " + Arrays.toString(in) + " " + Arrays.deepToString(pads);
                compare("PAD " + label, pad(type, qz, in, pads, k % 2 == 0, null), 140 + k);
                Object value = type == TensorType.FLOAT32 ? (Object) 0.625f : (Object) (type == TensorType.UINT8 ? 200 : -77);
                compare("PADV2 " + label, pad(type, qz, in, pads, k % 2 == 1, value), 160 + k);
            }
        }
        // int8 and int16 without quantization pad with 0, or PADV2's value.
        compare("PAD INT8 unquantized", pad(TensorType.INT8, null, new int[] {2, 3}, new int[][] {{1, 1}, {1, 2}}, false,
                null), 181);
        compare("PADV2 INT16 unquantized", pad(TensorType.INT16, null, new int[] {2, 3}, new int[][] {{1, 1}, {1, 2}},
                false, 1234), 182);
    }

    @Test
    void padRefusals() {
        expectRefusal(pad(TensorType.INT8, Quantization.perTensor(0.1, 0), new int[] {1, 2, 2, 2, 2, 2},
                new int[][] {{0, 0}, {1, 1}, {0, 0}, {0, 0}, {0, 0}, {0, 0}}, false, null), "PAD", "rank 6");
        expectRefusal(pad(TensorType.BOOL, null, new int[] {2}, new int[][] {{1, 1}}, false, null), "PAD", "BOOL");
    }

    // ---- ARG_MAX and ARG_MIN ----

    static Model argMinMax(boolean max, TensorType type, Quantization qz, int[] in, int axis, TensorType outType,
            boolean int64Axis) {
        ModelBuilder b = new ModelBuilder("arg");
        int x = qz == null ? b.input("x", type, in) : b.input("x", type, qz, in);
        int a = int64Axis ? b.constant("axis", new long[] {axis}) : b.constant("axis", new int[] {axis});
        int[] out = new int[in.length - 1];
        int k = axis < 0 ? axis + in.length : axis;
        for (int d = 0, j = 0; d < in.length; d++) {
            if (d != k) {
                out[j++] = in[d];
            }
        }
        BuiltinOptions o = BuiltinOptions.of(max ? "ArgMaxOptions" : "ArgMinOptions").set("output_type", outType.code());
        b.output(b.op(max ? BuiltinOperator.ARG_MAX : BuiltinOperator.ARG_MIN, o, new int[] {x, a},
                TensorSpec.of("y", outType, out)));
        return b.build();
    }

    @Test
    void argMinMax() {
        Object[][] cases = {
            {new int[] {1}, 0},
            {new int[] {2, 3, 4, 21}, -1},
            {new int[] {2, 3, 4, 21}, 3},
            {new int[] {2, 37, 5}, 1},
            {new int[] {7, 3}, 0},
            {new int[] {3, 40}, 1},
        };
        TensorType[] types = {TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8, TensorType.INT32};
        int k = 0;
        for (boolean max : new boolean[] {true, false}) {
            for (TensorType type : types) {
                for (Object[] c : cases) {
                    for (TensorType outType : new TensorType[] {TensorType.INT32, TensorType.INT64}) {
                        k++;
                        Quantization qz = type == TensorType.INT8 || type == TensorType.UINT8 ? q(type, 0.1, 0) : null;
                        // INT32 inputs in [-100, 100] over 21..40 elements: ties exercise the first-index rule.
                        compare((max ? "ARG_MAX " : "ARG_MIN ") + type + " " + Arrays.toString((int[]) c[0]) + " axis "
                                + c[1] + " -> " + outType, argMinMax(max, type, qz, (int[]) c[0], (Integer) c[1], outType,
                                k % 2 == 0), 200 + k);
                    }
                }
            }
        }
    }

    @Test
    void argMinMaxRefusals() {
        expectRefusal(argMinMax(true, TensorType.INT16, Quantization.perTensor(0.1, 0), new int[] {2, 3}, 1,
                TensorType.INT32, false), "ARG_MAX", "INT16");
    }
}
