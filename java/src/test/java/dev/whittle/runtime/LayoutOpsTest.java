package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.Padding;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.model.io.ModelWriter;
import dev.whittle.tflite.TfliteInterpreter;
import dev.whittle.tflite.TfliteOptions;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Layout and shape operators on every type TFLite takes for them, compared element by element
 * with TFLite's builtin kernels (0 LSB: these operators only move values). Strided slices are
 * generated systematically (every begin/end/shrink mask combination on a 2-D input, ellipsis
 * and new-axis combinations on a 3-D input, and a seeded random sweep over ranks 1..5).
 */
class LayoutOpsTest {
    private static final TensorType F32 = TensorType.FLOAT32;
    private static final TensorType I32 = TensorType.INT32;
    private static final TensorType[] ALL = {TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8, TensorType.INT16,
        TensorType.INT32, TensorType.INT64, TensorType.BOOL};

    /** Per-tensor parameters for the quantized types (INT16 symmetric, as TFLite requires), else null. */
    private static Quantization quant(TensorType t) {
        return switch (t) {
            case INT8 -> Quantization.perTensor(0.5, -3);
            case UINT8 -> Quantization.perTensor(0.25, 130);
            case INT16 -> Quantization.perTensor(0.125, 0);
            default -> null;
        };
    }

    private static int input(ModelBuilder b, String name, TensorType t, int... shape) {
        return b.input(name, t, quant(t), shape);
    }

    private static TensorSpec out(String name, TensorType t, int... shape) {
        Quantization q = quant(t);
        return q == null ? TensorSpec.of(name, t, shape) : TensorSpec.quantized(name, t, q, shape);
    }

    private static int[] product(int[] shape) {
        return new int[] {Arrays.stream(shape).reduce(1, (a, c) -> a * c)};
    }

    private static void compare(String label, Model m) {
        CompiledModel compiled = CompiledModel.compile(m);
        List<TensorData> inputs = new ArrayList<>();
        for (int i = 0; i < compiled.inputCount(); i++) {
            Tensor t = compiled.tensorInfo(compiled.inputTensorIndex(i));
            inputs.add(randomInput(t.type(), t.shape(), label.hashCode() + i));
        }
        Differential.compare(label, m, inputs, Differential.TOLERANCE, 0);
    }

    /**
     * Random values over each type's whole range (INT32 and INT64 too: these operators never
     * do arithmetic, so extreme values are as good as small ones). Written here rather than
     * with {@code Differential.randomInput}, which fills the read-only view that
     * {@code TensorData.data()} returns for every type but FLOAT32.
     */
    private static TensorData randomInput(TensorType type, int[] shape, long seed) {
        if (type == TensorType.FLOAT32) {
            return Differential.randomFloat(shape, seed, -1, 1);
        }
        SplittableRandom r = new SplittableRandom(seed);
        int n = Arrays.stream(shape).reduce(1, (a, c) -> a * c);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(type.bytesFor(n))).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (type) {
                case INT8, UINT8 -> b.put(i, (byte) r.nextInt(256));
                case BOOL -> b.put(i, (byte) r.nextInt(2));
                case INT16 -> b.putShort(i * 2, (short) r.nextInt(65536));
                case INT32 -> b.putInt(i * 4, r.nextInt());
                case INT64 -> b.putLong(i * 8, r.nextLong());
                default -> throw new IllegalArgumentException("no random inputs of type " + type);
            }
        }
        return new TensorData(type, shape, b);
    }

    /** Compares when Whittle accepts the model; returns false when it refuses it. */
    private static boolean compareIfSupported(String label, Model m) {
        try {
            CompiledModel.compile(m);
        } catch (UnsupportedModelException e) {
            return false;
        }
        compare(label, m);
        return true;
    }

    private static UnsupportedModelException refused(Model m, String opName) {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        assertTrue(e.getMessage().contains(opName), e.getMessage());
        return e;
    }

    // ---- RESHAPE, SQUEEZE, EXPAND_DIMS, SHAPE ----

    @Test
    void reshapeEveryTypeAndRank() {
        int[][][] cases = {
            // input shape, new shape (with -1)
            {{6}, {2, 3}},
            {{2, 3, 4}, {4, -1}},
            {{2, 1, 3, 1, 2}, {3, 4}},
            {{3, 4}, {1, 2, 1, 6, 1}},
            {{5}, {-1, 1, 5}},
        };
        for (TensorType t : ALL) {
            for (int[][] c : cases) {
                ModelBuilder b = new ModelBuilder("reshape");
                int x = input(b, "x", t, c[0]);
                int shape = b.constant("shape", c[1], c[1].length);
                int[] resolved = c[1].clone();
                int known = Arrays.stream(c[1]).filter(d -> d != -1).reduce(1, (a, d) -> a * d);
                for (int i = 0; i < resolved.length; i++) {
                    if (resolved[i] == -1) {
                        resolved[i] = product(c[0])[0] / known;
                    }
                }
                b.output(b.op(BuiltinOperator.RESHAPE, null, new int[] {x, shape}, out("y", t, resolved)));
                compare("RESHAPE " + t + " " + Arrays.toString(c[0]) + " -> " + Arrays.toString(c[1]), b.build());
            }
        }
    }

    @Test
    void reshapeShapeSources() {
        // new_shape in the options only (one input).
        ModelBuilder b = new ModelBuilder("reshape_options");
        int x = input(b, "x", TensorType.INT8, 2, 6);
        BuiltinOptions o = BuiltinOptions.of("ReshapeOptions").set("new_shape", new int[] {3, -1});
        b.output(b.op(BuiltinOperator.RESHAPE, o, new int[] {x}, out("y", TensorType.INT8, 3, 4)));
        compare("RESHAPE from options", b.build());

        // An empty 1-D shape tensor means a scalar; its constant's buffer has no bytes, and
        // CompiledModel still counts it as known.
        for (TensorType t : new TensorType[] {F32, TensorType.INT8}) {
            b = new ModelBuilder("reshape_scalar_empty_shape");
            x = input(b, "x", t, 1, 1);
            int empty = b.constant("shape", new int[0], 0);
            b.output(b.op(BuiltinOperator.RESHAPE, null, new int[] {x, empty}, out("y", t)));
            Model m = b.build();
            assertEquals(1, CompiledModel.compile(m).operatorCount());
            compare("RESHAPE [1, 1] " + t + " -> [] (empty shape tensor)", m);
        }

        // A 0-D shape tensor is not a shape vector: TFLite takes the options, here absent: a scalar.
        b = new ModelBuilder("reshape_scalar0d");
        x = input(b, "x", TensorType.INT64, 1, 1, 1);
        int shape = b.constant("shape", new int[] {1});
        b.output(b.op(BuiltinOperator.RESHAPE, null, new int[] {x, shape}, out("y", TensorType.INT64)));
        compare("RESHAPE 0-D shape input", b.build());

        // new_shape [0] in the options means a scalar too.
        b = new ModelBuilder("reshape_opt0");
        x = input(b, "x", F32, 1);
        o = BuiltinOptions.of("ReshapeOptions").set("new_shape", new int[] {0});
        b.output(b.op(BuiltinOperator.RESHAPE, o, new int[] {x}, out("y", F32)));
        compare("RESHAPE options [0]", b.build());

        // An empty tensor with -1: TFLite's rule gives 0.
        b = new ModelBuilder("reshape_empty");
        x = input(b, "x", F32, 0, 3);
        shape = b.constant("shape", new int[] {-1, 3}, 2);
        b.output(b.op(BuiltinOperator.RESHAPE, null, new int[] {x, shape}, out("y", F32, 0, 3)));
        compare("RESHAPE empty", b.build());

        // Two -1: refused.
        b = new ModelBuilder("reshape_bad");
        x = input(b, "x", F32, 2, 6);
        shape = b.constant("shape", new int[] {-1, -1}, 2);
        b.output(b.op(BuiltinOperator.RESHAPE, null, new int[] {x, shape}, out("y", F32, 3, 4)));
        refused(b.build(), "RESHAPE");
    }

    @Test
    void squeezeEveryTypeAndRank() {
        for (TensorType t : ALL) {
            for (int[][] c : new int[][][] {
                {{1, 3, 1, 4, 1}, {}, {3, 4}},
                {{1, 3, 1, 4, 1}, {0, -1}, {3, 1, 4}},
                {{1}, {}, {}},
                {{2, 1}, {1, 1}, {2}},
            }) {
                ModelBuilder b = new ModelBuilder("squeeze");
                int x = input(b, "x", t, c[0]);
                BuiltinOptions o = BuiltinOptions.of("SqueezeOptions").set("squeeze_dims", c[1]);
                b.output(b.op(BuiltinOperator.SQUEEZE, o, new int[] {x}, out("y", t, c[2])));
                compare("SQUEEZE " + t + " " + Arrays.toString(c[0]) + " dims " + Arrays.toString(c[1]), b.build());
            }
        }
    }

    @Test
    void expandDimsEveryType() {
        for (TensorType t : ALL) {
            for (int axis : new int[] {0, 1, -1, -3}) {
                for (TensorType axisType : new TensorType[] {I32, TensorType.INT64}) {
                    ModelBuilder b = new ModelBuilder("expand");
                    int x = input(b, "x", t, 2, 3);
                    int a = axisType == I32 ? b.constant("axis", new int[] {axis}, 1)
                            : b.constant("axis", new long[] {axis});
                    int k = axis < 0 ? axis + 3 : axis;
                    int[] shape = k == 0 ? new int[] {1, 2, 3} : k == 1 ? new int[] {2, 1, 3} : new int[] {2, 3, 1};
                    b.output(b.op(BuiltinOperator.EXPAND_DIMS, null, new int[] {x, a}, out("y", t, shape)));
                    compare("EXPAND_DIMS " + t + " axis " + axis + " " + axisType, b.build());
                }
            }
        }
    }

    @Test
    void shapeFeedsReshape() {
        for (TensorType outType : new TensorType[] {I32, TensorType.INT64}) {
            for (TensorType t : ALL) {
                ModelBuilder b = new ModelBuilder("shape");
                int x = input(b, "x", t, 2, 3, 5);
                BuiltinOptions o = BuiltinOptions.of("ShapeOptions").set("out_type", outType.code());
                b.output(b.op(BuiltinOperator.SHAPE, o, new int[] {x}, TensorSpec.of("s", outType, 3)));
                compare("SHAPE " + t + " -> " + outType, b.build());
            }
        }
        // y reshaped to x's shape, the shape computed by SHAPE and folded at compile time.
        ModelBuilder b = new ModelBuilder("shape_reshape");
        int x = input(b, "x", F32, 3, 4);
        int y = input(b, "y", F32, 12);
        BuiltinOptions o = BuiltinOptions.of("ShapeOptions").set("out_type", I32.code());
        int s = b.op(BuiltinOperator.SHAPE, o, new int[] {x}, TensorSpec.of("s", I32, 2));
        b.output(b.op(BuiltinOperator.RESHAPE, null, new int[] {y, s}, out("r", F32, 3, 4)));
        Model m = b.build();
        assertEquals(1, CompiledModel.compile(m).foldedOperatorCount());
        compare("SHAPE -> RESHAPE", m);
    }

    // ---- PACK, UNPACK ----

    @Test
    void packAndUnpackEveryTypeAndAxis() {
        int[][] shapes = {{}, {4}, {2, 3}, {2, 1, 3}, {2, 3, 1, 2}};
        for (TensorType t : ALL) {
            for (int[] shape : shapes) {
                for (int axis = -shape.length - 1; axis <= shape.length; axis += Math.max(1, shape.length)) {
                    for (int n : new int[] {1, 3}) {
                        if (t == TensorType.BOOL) {
                            continue; // TFLite's PACK takes no BOOL (refusal tested below)
                        }
                        ModelBuilder b = new ModelBuilder("pack");
                        int[] ins = new int[n];
                        for (int i = 0; i < n; i++) {
                            ins[i] = input(b, "x" + i, t, shape);
                        }
                        int k = axis < 0 ? axis + shape.length + 1 : axis;
                        int[] os = new int[shape.length + 1];
                        for (int d = 0, j = 0; d < os.length; d++) {
                            os[d] = d == k ? n : shape[j++];
                        }
                        BuiltinOptions o = BuiltinOptions.of("PackOptions").set("values_count", n).set("axis", axis);
                        b.output(b.op(BuiltinOperator.PACK, o, ins, out("y", t, os)));
                        compare("PACK " + t + " " + n + "x" + Arrays.toString(shape) + " axis " + axis, b.build());
                    }
                }
            }
            if (t == TensorType.INT64) {
                continue; // TFLite's UNPACK takes no INT64
            }
            for (int[] shape : new int[][] {{3}, {2, 3}, {3, 1, 2}, {2, 2, 3, 2}, {1, 2, 2, 3, 2}}) {
                for (int axis = -shape.length; axis < shape.length; axis += Math.max(1, shape.length / 2)) {
                    int k = axis < 0 ? axis + shape.length : axis;
                    int n = shape[k];
                    int[] os = new int[shape.length - 1];
                    for (int d = 0, j = 0; d < shape.length; d++) {
                        if (d != k) {
                            os[j++] = shape[d];
                        }
                    }
                    TensorSpec[] outs = new TensorSpec[n];
                    for (int i = 0; i < n; i++) {
                        outs[i] = out("y" + i, t, os);
                    }
                    ModelBuilder b = new ModelBuilder("unpack");
                    int x = input(b, "x", t, shape);
                    BuiltinOptions o = BuiltinOptions.of("UnpackOptions").set("num", n).set("axis", axis);
                    for (int y : b.op(BuiltinOperator.UNPACK, 1, o, new int[] {x}, outs)) {
                        b.output(y);
                    }
                    compare("UNPACK " + t + " " + Arrays.toString(shape) + " axis " + axis, b.build());
                }
            }
        }
    }

    // ---- TRANSPOSE ----

    @Test
    void transposeEveryTypeRanksOneToSix() {
        SplittableRandom r = new SplittableRandom(11);
        for (TensorType t : ALL) {
            for (int rank = 1; rank <= 6; rank++) {
                int[] shape = new int[rank];
                for (int d = 0; d < rank; d++) {
                    shape[d] = 1 + r.nextInt(rank >= 5 ? 3 : 5);
                }
                int[] perm = new int[rank];
                for (int d = 0; d < rank; d++) {
                    perm[d] = d;
                }
                for (int d = rank - 1; d > 0; d--) {
                    int j = r.nextInt(d + 1);
                    int tmp = perm[d];
                    perm[d] = perm[j];
                    perm[j] = tmp;
                }
                int[] written = perm.clone();
                if (rank > 1) {
                    written[0] -= rank; // a negative entry, as TFLite allows
                }
                int[] os = new int[rank];
                for (int d = 0; d < rank; d++) {
                    os[d] = shape[perm[d]];
                }
                ModelBuilder b = new ModelBuilder("transpose");
                int x = input(b, "x", t, shape);
                int p = b.constant("perm", written, rank);
                b.output(b.op(BuiltinOperator.TRANSPOSE, null, new int[] {x, p}, out("y", t, os)));
                compare("TRANSPOSE " + t + " " + Arrays.toString(shape) + " perm " + Arrays.toString(written),
                        b.build());
            }
        }
    }

    // ---- SLICE ----

    @Test
    void sliceEveryTypeRanksOneToFive() {
        SplittableRandom r = new SplittableRandom(5);
        for (TensorType t : ALL) {
            for (int rank = 1; rank <= 5; rank++) {
                for (TensorType idx : new TensorType[] {I32, TensorType.INT64}) {
                    int[] shape = new int[rank];
                    int[] begin = new int[rank];
                    int[] size = new int[rank];
                    int[] os = new int[rank];
                    for (int d = 0; d < rank; d++) {
                        shape[d] = 1 + r.nextInt(5);
                        begin[d] = r.nextInt(shape[d] + 1);
                        size[d] = r.nextInt(4) == 0 ? -1 : r.nextInt(shape[d] - begin[d] + 1);
                        os[d] = size[d] == -1 ? shape[d] - begin[d] : size[d];
                    }
                    ModelBuilder b = new ModelBuilder("slice");
                    int x = input(b, "x", t, shape);
                    int bi = idx == I32 ? b.constant("begin", begin, rank)
                            : b.constant("begin", Arrays.stream(begin).asLongStream().toArray(), rank);
                    int si = idx == I32 ? b.constant("size", size, rank)
                            : b.constant("size", Arrays.stream(size).asLongStream().toArray(), rank);
                    b.output(b.op(BuiltinOperator.SLICE, null, new int[] {x, bi, si}, out("y", t, os)));
                    compare("SLICE " + t + " " + Arrays.toString(shape) + " begin " + Arrays.toString(begin) + " size "
                            + Arrays.toString(size) + " " + idx, b.build());
                }
            }
        }
    }

    // ---- STRIDED_SLICE ----

    private static Model stridedSlice(TensorType t, int[] shape, int[] begin, int[] end, int[] strides, int beginMask,
            int endMask, int ellipsisMask, int newAxisMask, int shrinkMask, boolean offset) {
        ModelBuilder b = new ModelBuilder("strided_slice");
        int x = input(b, "x", t, shape);
        int bi = b.constant("begin", begin, begin.length);
        int ei = b.constant("end", end, end.length);
        int si = b.constant("strides", strides, strides.length);
        BuiltinOptions o = BuiltinOptions.of("StridedSliceOptions").set("begin_mask", beginMask)
                .set("end_mask", endMask).set("ellipsis_mask", ellipsisMask).set("new_axis_mask", newAxisMask)
                .set("shrink_axis_mask", shrinkMask).set("offset", offset);
        // TFLite computes the output shape in prepare; the declared one is only a placeholder.
        b.output(b.op(BuiltinOperator.STRIDED_SLICE, o, new int[] {x, bi, ei, si}, out("y", t, 1)));
        return b.build();
    }

    private static String describe(int[] shape, int[] begin, int[] end, int[] strides, int... masks) {
        return Arrays.toString(shape) + " b" + Arrays.toString(begin) + " e" + Arrays.toString(end) + " s"
                + Arrays.toString(strides) + " masks " + Arrays.toString(masks);
    }

    @Test
    void stridedSliceEveryBeginEndShrinkMask() {
        int[] shape = {4, 5};
        int[][][] indices = {
            // begin, end, strides
            {{1, -4}, {3, -1}, {1, 1}},
            {{-1, 7}, {-5, 1}, {-1, -2}},
            {{0, 2}, {9, -9}, {2, -1}},
            {{-9, 1}, {2, 4}, {3, 2}},
        };
        int compared = 0;
        int total = 0;
        for (int[][] c : indices) {
            for (int bm = 0; bm < 4; bm++) {
                for (int em = 0; em < 4; em++) {
                    for (int sm = 0; sm < 4; sm++) {
                        total++;
                        Model m = stridedSlice(I32, shape, c[0], c[1], c[2], bm, em, 0, 0, sm, false);
                        boolean ok = compareIfSupported("STRIDED_SLICE " + describe(shape, c[0], c[1], c[2], bm, em,
                                sm), m);
                        if (ok) {
                            compared++;
                        }
                        // TFLite's loop writes nothing for a shrunk axis with a backward stride
                        // (stop = start + 1 is never passed going down) or a begin clamped to
                        // the end; exactly those are refused.
                        boolean unwritten = false;
                        for (int a = 0; a < 2; a++) {
                            if ((sm & (1 << a)) != 0 && (c[2][a] < 0 || c[0][a] >= shape[a])) {
                                unwritten = true;
                            }
                        }
                        assertEquals(unwritten, !ok, describe(shape, c[0], c[1], c[2], bm, em, sm));
                    }
                }
            }
        }
        System.out.println("STRIDED_SLICE masks: compared " + compared + " of " + total);
    }

    @Test
    void stridedSliceEllipsisAndNewAxis() {
        int[] shape = {3, 4, 5};
        int compared = 0;
        int total = 0;
        SplittableRandom r = new SplittableRandom(3);
        for (int count = 1; count <= 3; count++) {
            for (int ellipsis = 0; ellipsis <= (1 << (count - 1)); ellipsis = ellipsis == 0 ? 1 : ellipsis << 1) {
                for (int newAxis = 0; newAxis < (1 << count); newAxis++) {
                    for (int shrink : new int[] {0, 1 << (count - 1)}) {
                        int[] begin = new int[count];
                        int[] end = new int[count];
                        int[] strides = new int[count];
                        for (int i = 0; i < count; i++) {
                            begin[i] = r.nextInt(-2, 3);
                            end[i] = r.nextInt(-1, 6);
                            strides[i] = r.nextBoolean() ? 1 : r.nextInt(2) == 0 ? 2 : -1;
                        }
                        total++;
                        Model m = stridedSlice(TensorType.INT8, shape, begin, end, strides, 0, 0, ellipsis, newAxis,
                                shrink, false);
                        if (compareIfSupported("STRIDED_SLICE " + describe(shape, begin, end, strides, ellipsis,
                                newAxis, shrink), m)) {
                            compared++;
                        }
                    }
                }
            }
        }
        System.out.println("STRIDED_SLICE ellipsis/new axis: compared " + compared + " of " + total);
        assertTrue(compared >= total / 2, compared + " of " + total);
    }

    @Test
    void stridedSliceRandomSweepEveryTypeRanksOneToFive() {
        SplittableRandom r = new SplittableRandom(2024);
        int compared = 0;
        int total = 0;
        for (int k = 0; k < 280; k++) {
            TensorType t = ALL[k % ALL.length];
            int rank = 1 + r.nextInt(5);
            int[] shape = new int[rank];
            for (int d = 0; d < rank; d++) {
                shape[d] = 1 + r.nextInt(rank >= 4 ? 4 : 6);
            }
            int count = 1 + r.nextInt(rank);
            int[] begin = new int[count];
            int[] end = new int[count];
            int[] strides = new int[count];
            for (int i = 0; i < count; i++) {
                begin[i] = r.nextInt(-7, 8);
                end[i] = r.nextInt(-7, 8);
                int s = 1 + r.nextInt(3);
                strides[i] = r.nextBoolean() ? s : -s;
            }
            int bits = (1 << count) - 1;
            int bm = r.nextInt(1 << count) & bits;
            int em = r.nextInt(1 << count) & bits;
            int sm = r.nextInt(4) == 0 ? r.nextInt(1 << count) & bits : 0;
            int nm = r.nextInt(5) == 0 && rank < 5 ? 1 << r.nextInt(count) : 0;
            total++;
            Model m = stridedSlice(t, shape, begin, end, strides, bm, em, 0, nm, sm, false);
            if (compareIfSupported("STRIDED_SLICE " + t + " " + describe(shape, begin, end, strides, bm, em, nm, sm),
                    m)) {
                compared++;
            }
        }
        System.out.println("STRIDED_SLICE random sweep: compared " + compared + " of " + total);
        assertTrue(compared >= total * 2 / 3, compared + " of " + total);
    }

    @Test
    void stridedSliceShrinkNewAxisOffsetAndEmpty() {
        // Shrink every axis: a scalar.
        compare("STRIDED_SLICE shrink all", stridedSlice(F32, new int[] {3, 4}, new int[] {-1, 2}, new int[] {0, 0},
                new int[] {1, 1}, 0, 0, 0, 0, 3, false));
        // Shrink and new axis together.
        compare("STRIDED_SLICE shrink + new axis", stridedSlice(TensorType.INT16, new int[] {3, 4, 2},
                new int[] {1, 0, 0}, new int[] {2, 1, 3}, new int[] {1, 1, 2}, 0, 4, 0, 2, 1, false));
        // Empty results: begin past end forward, and backward.
        compare("STRIDED_SLICE empty forward", stridedSlice(TensorType.UINT8, new int[] {4, 3}, new int[] {3, 0},
                new int[] {1, 3}, new int[] {1, 1}, 0, 0, 0, 0, 0, false));
        compare("STRIDED_SLICE empty backward", stridedSlice(TensorType.INT64, new int[] {4, 3}, new int[] {0, 0},
                new int[] {3, 3}, new int[] {-1, 1}, 0, 0, 0, 0, 0, false));
        // Full reversal with negative strides and masks.
        compare("STRIDED_SLICE reverse", stridedSlice(TensorType.BOOL, new int[] {2, 3, 4}, new int[] {0, 0, 0},
                new int[] {0, 0, 0}, new int[] {-1, -2, -1}, 7, 7, 0, 0, 0, false));
        // offset: end holds sizes.
        compare("STRIDED_SLICE offset", stridedSlice(I32, new int[] {4, 5}, new int[] {1, 2}, new int[] {2, 3},
                new int[] {1, 1}, 0, 0, 0, 0, 0, true));
        compare("STRIDED_SLICE offset strided", stridedSlice(F32, new int[] {6, 5}, new int[] {-5, 0},
                new int[] {4, 5}, new int[] {2, 1}, 0, 0, 0, 0, 0, true));
        // A 5-D input.
        compare("STRIDED_SLICE 5-D", stridedSlice(TensorType.INT8, new int[] {2, 3, 2, 4, 3}, new int[] {1, -1, 0, 3, 0},
                new int[] {2, 0, 2, 0, 3}, new int[] {1, -1, 1, -2, 2}, 0, 0, 0, 0, 0, false));
    }

    // ---- GATHER ----

    @Test
    void gatherEveryTypeAxisAndIndexType() {
        SplittableRandom r = new SplittableRandom(9);
        for (TensorType t : ALL) {
            for (int[] shape : new int[][] {{5}, {3, 4}, {2, 3, 4}, {2, 1, 3, 2, 3}}) {
                for (int axis = -1; axis < shape.length; axis += 2) {
                    int k = axis < 0 ? axis + shape.length : axis;
                    for (TensorType idx : new TensorType[] {I32, TensorType.INT64}) {
                        for (int batchDims : new int[] {0, 1}) {
                            if (batchDims > k) {
                                continue;
                            }
                            int[] ps = batchDims == 0 ? new int[] {2, 3} : new int[] {shape[0], 3};
                            int n = ps[0] * ps[1];
                            long[] pos = new long[n];
                            for (int i = 0; i < n; i++) {
                                pos[i] = r.nextInt(shape[k]);
                            }
                            ModelBuilder b = new ModelBuilder("gather");
                            int x = input(b, "x", t, shape);
                            int p = idx == I32 ? b.constant("pos", Arrays.stream(pos).mapToInt(v -> (int) v).toArray(), ps)
                                    : b.constant("pos", pos, ps);
                            List<Integer> os = new ArrayList<>();
                            for (int i = 0; i < k; i++) {
                                os.add(shape[i]);
                            }
                            for (int i = batchDims; i < 2; i++) {
                                os.add(ps[i]);
                            }
                            for (int i = k + 1; i < shape.length; i++) {
                                os.add(shape[i]);
                            }
                            BuiltinOptions o = BuiltinOptions.of("GatherOptions").set("axis", axis)
                                    .set("batch_dims", batchDims);
                            b.output(b.op(BuiltinOperator.GATHER, o, new int[] {x, p},
                                    out("y", t, os.stream().mapToInt(Integer::intValue).toArray())));
                            compare("GATHER " + t + " " + Arrays.toString(shape) + " axis " + axis + " batch_dims "
                                    + batchDims + " " + idx, b.build());
                        }
                    }
                }
            }
        }
    }

    // ---- SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND ----

    private static final TensorType[] SPACE_TYPES = {TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8,
        TensorType.INT16, TensorType.INT32, TensorType.INT64};

    @Test
    void spaceToBatchAndBackEveryTypeWithOddPaddingsAndCrops() {
        for (TensorType t : SPACE_TYPES) {
            for (int[][] c : new int[][][] {
                // input shape, block, paddings
                {{1, 4, 4, 1}, {2, 2}, {0, 0, 0, 0}},
                {{2, 5, 7, 3}, {2, 3}, {1, 0, 0, 2}},
                {{1, 3, 3, 5}, {3, 2}, {2, 1, 1, 0}},
                {{3, 5, 2}, {3}, {0, 1}},
                {{2, 4, 3}, {2}, {1, 1}},
            }) {
                int[] in = c[0];
                int spatial = in.length - 2;
                int[] os = in.clone();
                os[0] = in[0];
                for (int d = 0; d < spatial; d++) {
                    os[d + 1] = (in[d + 1] + c[2][2 * d] + c[2][2 * d + 1]) / c[1][d];
                    os[0] *= c[1][d];
                }
                ModelBuilder b = new ModelBuilder("stb");
                int x = input(b, "x", t, in);
                int bl = b.constant("block", c[1], spatial);
                int pd = b.constant("pads", c[2], spatial, 2);
                b.output(b.op(BuiltinOperator.SPACE_TO_BATCH_ND, null, new int[] {x, bl, pd}, out("y", t, os)));
                compare("SPACE_TO_BATCH_ND " + t + " " + Arrays.toString(in) + " block " + Arrays.toString(c[1])
                        + " pads " + Arrays.toString(c[2]), b.build());

                // And back, with the same numbers as crops.
                b = new ModelBuilder("bts");
                x = input(b, "x", t, os);
                bl = b.constant("block", c[1], spatial);
                int cr = b.constant("crops", c[2], spatial, 2);
                b.output(b.op(BuiltinOperator.BATCH_TO_SPACE_ND, null, new int[] {x, bl, cr}, out("y", t, in)));
                compare("BATCH_TO_SPACE_ND " + t + " " + Arrays.toString(os) + " block " + Arrays.toString(c[1])
                        + " crops " + Arrays.toString(c[2]), b.build());
            }
        }
    }

    @Test
    void spaceToBatchPadsWithTheZeroPointAtBothEnds() {
        Object[][] cases = {
            {TensorType.INT8, -128L}, {TensorType.INT8, 127L}, {TensorType.UINT8, 0L}, {TensorType.UINT8, 255L},
        };
        for (Object[] c : cases) {
            TensorType t = (TensorType) c[0];
            Quantization q = Quantization.perTensor(0.5, (Long) c[1]);
            ModelBuilder b = new ModelBuilder("stb_zp");
            int x = b.input("x", t, q, 1, 3, 3, 2);
            int bl = b.constant("block", new int[] {2, 2}, 2);
            int pd = b.constant("pads", new int[] {1, 0, 2, 1}, 2, 2);
            b.output(b.op(BuiltinOperator.SPACE_TO_BATCH_ND, null, new int[] {x, bl, pd},
                    TensorSpec.quantized("y", t, q, 4, 2, 3, 2)));
            compare("SPACE_TO_BATCH_ND " + t + " zero point " + c[1], b.build());
        }
    }

    // ---- DEPTH_TO_SPACE, SPACE_TO_DEPTH ----

    @Test
    void depthAndSpaceEveryType() {
        for (TensorType t : new TensorType[] {TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8, TensorType.INT32,
            TensorType.INT64}) {
            for (int bs : new int[] {1, 2, 3}) {
                ModelBuilder b = new ModelBuilder("d2s");
                int x = input(b, "x", t, 2, 2, 3, 2 * bs * bs);
                BuiltinOptions o = BuiltinOptions.of("DepthToSpaceOptions").set("block_size", bs);
                b.output(b.op(BuiltinOperator.DEPTH_TO_SPACE, o, new int[] {x}, out("y", t, 2, 2 * bs, 3 * bs, 2)));
                compare("DEPTH_TO_SPACE " + t + " block " + bs, b.build());

                b = new ModelBuilder("s2d");
                x = input(b, "x", t, 2, 2 * bs, 3 * bs, 3);
                o = BuiltinOptions.of("SpaceToDepthOptions").set("block_size", bs);
                b.output(b.op(BuiltinOperator.SPACE_TO_DEPTH, o, new int[] {x}, out("y", t, 2, 2, 3, 3 * bs * bs)));
                compare("SPACE_TO_DEPTH " + t + " block " + bs, b.build());
            }
        }
    }

    // ---- refusals ----

    @Test
    void refusalsNameTheOperator() {
        // Non-constant perm.
        ModelBuilder b = new ModelBuilder("perm_input");
        int x = b.input("x", F32, 2, 3);
        int p = b.input("perm", I32, 2);
        b.output(b.op(BuiltinOperator.TRANSPOSE, null, new int[] {x, p}, TensorSpec.of("y", F32, 3, 2)));
        assertTrue(refused(b.build(), "TRANSPOSE").getMessage().contains("perm"));

        // Rank 7 transpose.
        b = new ModelBuilder("rank7");
        x = b.input("x", F32, 1, 1, 1, 1, 1, 1, 2);
        p = b.constant("perm", new int[] {6, 5, 4, 3, 2, 1, 0}, 7);
        b.output(b.op(BuiltinOperator.TRANSPOSE, null, new int[] {x, p}, TensorSpec.of("y", F32, 2, 1, 1, 1, 1, 1, 1)));
        assertTrue(refused(b.build(), "TRANSPOSE").getMessage().contains("rank 7"));

        // A repeated axis in perm.
        b = new ModelBuilder("perm_dup");
        x = b.input("x", F32, 2, 3);
        p = b.constant("perm", new int[] {1, 1}, 2);
        b.output(b.op(BuiltinOperator.TRANSPOSE, null, new int[] {x, p}, TensorSpec.of("y", F32, 3, 3)));
        refused(b.build(), "TRANSPOSE");

        // Unsupported types: PACK of BOOL, UNPACK of INT64, DEPTH_TO_SPACE of INT16, SPACE_TO_BATCH_ND of BOOL.
        b = new ModelBuilder("pack_bool");
        x = b.input("x", TensorType.BOOL, 2);
        BuiltinOptions o = BuiltinOptions.of("PackOptions").set("values_count", 1);
        b.output(b.op(BuiltinOperator.PACK, o, new int[] {x}, TensorSpec.of("y", TensorType.BOOL, 1, 2)));
        assertTrue(refused(b.build(), "PACK").getMessage().contains("BOOL"));

        b = new ModelBuilder("unpack_i64");
        x = b.input("x", TensorType.INT64, 1, 2);
        o = BuiltinOptions.of("UnpackOptions").set("num", 1);
        b.op(BuiltinOperator.UNPACK, 1, o, new int[] {x}, TensorSpec.of("y", TensorType.INT64, 2));
        b.output(b.tensorCount() - 1);
        refused(b.build(), "UNPACK");

        b = new ModelBuilder("d2s_i16");
        x = b.input("x", TensorType.INT16, 1, 1, 1, 4);
        o = BuiltinOptions.of("DepthToSpaceOptions").set("block_size", 2);
        b.output(b.op(BuiltinOperator.DEPTH_TO_SPACE, o, new int[] {x}, TensorSpec.of("y", TensorType.INT16, 1, 2, 2, 1)));
        refused(b.build(), "DEPTH_TO_SPACE");

        b = new ModelBuilder("stb_rank5");
        x = b.input("x", F32, 1, 2, 2, 2, 1);
        int bl = b.constant("block", new int[] {1, 1, 1}, 3);
        int pd = b.constant("pads", new int[6], 3, 2);
        b.output(b.op(BuiltinOperator.SPACE_TO_BATCH_ND, null, new int[] {x, bl, pd}, TensorSpec.of("y", F32, 1, 2, 2, 2, 1)));
        refused(b.build(), "SPACE_TO_BATCH_ND");

        // RESHAPE whose shape vector is only known at run time.
        b = new ModelBuilder("reshape_dynamic");
        x = b.input("x", F32, 2, 3);
        int s = b.input("shape", I32, 2);
        b.output(b.op(BuiltinOperator.RESHAPE, null, new int[] {x, s}, TensorSpec.of("y", F32, 3, 2)));
        refused(b.build(), "RESHAPE");

        // STRIDED_SLICE with a 6-D input, a zero stride, and a shrink of an out-of-range index.
        refused(stridedSlice(F32, new int[] {1, 1, 1, 1, 1, 2}, new int[] {0}, new int[] {1}, new int[] {1},
                0, 0, 0, 0, 0, false), "STRIDED_SLICE");
        refused(stridedSlice(F32, new int[] {3}, new int[] {0}, new int[] {1}, new int[] {0}, 0, 0, 0, 0, 0, false),
                "STRIDED_SLICE");
        refused(stridedSlice(F32, new int[] {3}, new int[] {5}, new int[] {6}, new int[] {1}, 0, 0, 0, 0, 1, false),
                "STRIDED_SLICE");

        // Quantization that differs between input and output of EXPAND_DIMS.
        b = new ModelBuilder("expand_q");
        x = b.input("x", TensorType.INT8, Quantization.perTensor(0.5, 1), 2);
        int a = b.constant("axis", new int[] {0}, 1);
        b.output(b.op(BuiltinOperator.EXPAND_DIMS, null, new int[] {x, a},
                TensorSpec.quantized("y", TensorType.INT8, Quantization.perTensor(0.25, 1), 1, 2)));
        refused(b.build(), "EXPAND_DIMS");
    }

    @Test
    void layoutKernelsDoNotAllocate() {
        ModelBuilder b = new ModelBuilder("alloc");
        int x = b.input("x", TensorType.INT8, 1, 6, 4, 2);
        int t = b.op(BuiltinOperator.TRANSPOSE, null, new int[] {x, b.constant("perm", new int[] {0, 2, 1, 3}, 4)},
                TensorSpec.of("t", TensorType.INT8, 1, 4, 6, 2));
        int stb = b.op(BuiltinOperator.SPACE_TO_BATCH_ND, null, new int[] {t, b.constant("block", new int[] {2, 2}, 2),
            b.constant("pads", new int[] {0, 0, 1, 1}, 2, 2)}, TensorSpec.of("stb", TensorType.INT8, 4, 2, 4, 2));
        int ss = b.op(BuiltinOperator.STRIDED_SLICE, null, new int[] {stb, b.constant("b", new int[] {0, 1}, 2),
            b.constant("e", new int[] {4, 0}, 2), b.constant("s", new int[] {2, -1}, 2)},
                TensorSpec.of("ss", TensorType.INT8, 2, 1, 4, 2));
        int[] parts = b.op(BuiltinOperator.UNPACK, 1, BuiltinOptions.of("UnpackOptions").set("num", 2),
                new int[] {ss}, TensorSpec.of("u0", TensorType.INT8, 1, 4, 2), TensorSpec.of("u1", TensorType.INT8, 1, 4, 2));
        b.output(b.op(BuiltinOperator.PACK, BuiltinOptions.of("PackOptions").set("values_count", 2).set("axis", 3),
                parts, TensorSpec.of("y", TensorType.INT8, 1, 4, 2, 2)));
        Model m = b.build();
        compare("layout chain", m);
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (ExecutionContext c = CompiledModel.compile(m).newContext()) {
            c.setInput(0, randomInput(TensorType.INT8, new int[] {1, 6, 4, 2}, 1));
            for (int i = 0; i < 200; i++) {
                c.invoke();
            }
            long tid = Thread.currentThread().threadId();
            long before = mx.getThreadAllocatedBytes(tid);
            for (int i = 0; i < 100; i++) {
                c.invoke();
            }
            long allocated = mx.getThreadAllocatedBytes(tid) - before;
            assertTrue(allocated < 64 * 1024, allocated + " bytes allocated by 100 invokes");
        }
    }

    // ---- input resize ----

    /**
     * A model shaped like {@code dilated_conv_float.tflite} with the operators Whittle has: the
     * input's height and width read with SHAPE and STRIDED_SLICE (shrink), re-packed with PACK
     * into a RESHAPE target, then SPACE_TO_BATCH_ND, CONV_2D, BATCH_TO_SPACE_ND and TRANSPOSE.
     * Compiled for other input sizes it must agree with TFLite after {@code resizeInput}.
     */
    @Test
    void resizingTheInputRecomputesDownstreamShapes() {
        ModelBuilder b = new ModelBuilder("resize");
        int x = b.input("x", F32, 1, 4, 6, 3);
        BuiltinOptions so = BuiltinOptions.of("ShapeOptions").set("out_type", I32.code());
        int s = b.op(BuiltinOperator.SHAPE, so, new int[] {x}, TensorSpec.of("s", I32, 4));
        int one = b.constant("one", new int[] {1}, 1);
        BuiltinOptions shrink = BuiltinOptions.of("StridedSliceOptions").set("shrink_axis_mask", 1);
        int h = b.op(BuiltinOperator.STRIDED_SLICE, shrink, new int[] {s, b.constant("b1", new int[] {1}, 1),
            b.constant("e1", new int[] {2}, 1), one}, TensorSpec.of("h", I32));
        int w = b.op(BuiltinOperator.STRIDED_SLICE, shrink, new int[] {s, b.constant("b2", new int[] {2}, 1),
            b.constant("e2", new int[] {3}, 1), one}, TensorSpec.of("w", I32));
        int c = b.constant("c", new int[] {3});
        BuiltinOptions po = BuiltinOptions.of("PackOptions").set("values_count", 3).set("axis", 0);
        int target = b.op(BuiltinOperator.PACK, po, new int[] {h, w, c}, TensorSpec.of("target", I32, 3));
        int r = b.op(BuiltinOperator.RESHAPE, null, new int[] {x, target}, TensorSpec.of("r", F32, 4, 6, 3));
        int e = b.op(BuiltinOperator.EXPAND_DIMS, null, new int[] {r, b.constant("axis", new int[] {0}, 1)},
                TensorSpec.of("e", F32, 1, 4, 6, 3));
        int block = b.constant("block", new int[] {2, 2}, 2);
        int stb = b.op(BuiltinOperator.SPACE_TO_BATCH_ND, null, new int[] {e, block,
            b.constant("pads", new int[] {2, 2, 2, 2}, 2, 2)}, TensorSpec.of("stb", F32, 4, 4, 5, 3));
        float[] weights = new float[4 * 3 * 3 * 3];
        SplittableRandom rnd = new SplittableRandom(1);
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        int conv = b.conv2d("conv", stb, b.constant("wts", weights, 4, 3, 3, 3), b.constant("bias", new float[4], 4),
                Padding.VALID, 1, ModelBuilder.Activation.NONE);
        int bts = b.op(BuiltinOperator.BATCH_TO_SPACE_ND, null, new int[] {conv, block,
            b.constant("crops", new int[] {0, 0, 0, 0}, 2, 2)}, TensorSpec.of("bts", F32, 1, 4, 6, 4));
        b.output(b.op(BuiltinOperator.TRANSPOSE, null, new int[] {bts, b.constant("perm", new int[] {0, 3, 1, 2}, 4)},
                TensorSpec.of("y", F32, 1, 4, 4, 6)));
        Model m = b.build();
        compare("resize model as declared", m);

        byte[] bytes = ModelWriter.toBytes(m);
        TfliteOptions options = TfliteOptions.defaults().useXnnpack(false).threads(1);
        for (int[] shape : new int[][] {{1, 10, 8, 3}, {1, 32, 32, 3}, {1, 2, 14, 3}}) {
            CompiledModel compiled = CompiledModel.compile(m, Map.of(0, shape));
            TensorData in = Differential.randomFloat(shape, Arrays.hashCode(shape), -1, 1);
            try (TfliteInterpreter tflite = TfliteInterpreter.create(bytes, options);
                    ExecutionContext ctx = compiled.newContext()) {
                tflite.resizeInput(0, shape);
                tflite.setInput(0, in);
                tflite.invoke();
                ctx.setInput(0, in);
                ctx.invoke();
                TensorData expected = tflite.output(0);
                TensorData actual = ctx.output(0);
                assertArrayEquals(new int[] {1, 4, shape[1], shape[2]}, actual.shape());
                double rel = Differential.relativeDiff("resized to " + Arrays.toString(shape), expected, actual,
                        Differential.TOLERANCE);
                System.out.printf("runtime resize %s -> %s max relative diff %.3e%n", Arrays.toString(shape),
                        Arrays.toString(actual.shape()), rel);
            }
            // The shape arithmetic is folded: only the data-moving operators remain.
            assertEquals(4, compiled.foldedOperatorCount());
        }
    }
}
