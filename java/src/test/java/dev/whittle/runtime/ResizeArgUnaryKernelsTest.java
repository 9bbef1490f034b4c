package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java and AVX2 kernels of RESIZE_BILINEAR, ARG_MAX/ARG_MIN and the 8-bit table kernels
 * (requantizing QUANTIZE, DEQUANTIZE, LOGISTIC, TANH) against the reference kernels, bit for
 * bit, on every available path of their family, with 1 and 3 threads.
 */
class ResizeArgUnaryKernelsTest {
    private static final int[] CHANNELS = {1, 2, 3, 7, 8, 9, 15, 16, 17, 21, 33};

    private static String prefix(TensorType t) {
        return switch (t) {
            case FLOAT32 -> "f32";
            case INT8 -> "qs8";
            case UINT8 -> "qu8";
            case INT16 -> "qs16";
            default -> "s32";
        };
    }

    /** int8 and int16 take the fixed-point path, which has no native kernel. */
    private static boolean fixedPoint(TensorType t) {
        return t == TensorType.INT8 || t == TensorType.INT16;
    }

    private static Model resize(TensorType t, int[] in, int outH, int outW, boolean align, boolean half) {
        ModelBuilder b = new ModelBuilder("resize");
        Quantization q = t == TensorType.FLOAT32 ? null : Quantization.perTensor(0.05, t == TensorType.UINT8 ? 128 : 0);
        int x = q == null ? b.input("x", t, in) : b.input("x", t, q, in);
        int size = b.constant("size", new int[] {outH, outW}, 2);
        int[] so = {in[0], outH, outW, in[3]};
        TensorSpec out = q == null ? TensorSpec.of("y", t, so) : TensorSpec.quantized("y", t, q, so);
        BuiltinOptions o = BuiltinOptions.of("ResizeBilinearOptions").set("align_corners", align)
                .set("half_pixel_centers", half);
        b.output(b.op(BuiltinOperator.RESIZE_BILINEAR, 1, o, new int[] {x, size}, out)[0]);
        return b.build();
    }

    @Test
    void resizeBilinearSweeps() {
        int own = 0;
        int n = 0;
        for (TensorType t : new TensorType[] {TensorType.FLOAT32, TensorType.UINT8, TensorType.INT8,
                TensorType.INT16}) {
            for (int c : CHANNELS) {
                int mode = n % 3;
                int batch = n % 4 == 3 ? 2 : 1;
                int inH = 1 + n % 5;
                int inW = 2 + n % 7;
                int outH = n % 2 == 0 ? inH * 2 + 1 : Math.max(1, inH - 1);
                int outW = n % 3 == 0 ? inW * 3 - 1 : inW + 2;
                int[] in = {batch, inH, inW, c};
                Model m = resize(t, in, outH, outW, mode == 1, mode == 2);
                String label = "resize " + t + " " + java.util.Arrays.toString(in) + " -> " + outH + "x" + outW
                        + " mode " + mode;
                own += FastKernelHarness.checkPaths(label, m, List.of(FastKernelHarness.random(t, in, n, 11)),
                        ElementwiseFamilies.RESIZE_BILINEAR, prefix(t) + "_resize_bilinear", false, fixedPoint(t));
                n++;
            }
            // Large enough to be split over threads; deeplab's 65 -> 513 with align_corners shape.
            int[] in = {1, 17, 17, 21};
            own += FastKernelHarness.checkPaths("resize " + t + " large", resize(t, in, 129, 129, true, false),
                    List.of(FastKernelHarness.random(t, in, 99, 0)), ElementwiseFamilies.RESIZE_BILINEAR,
                    prefix(t) + "_resize_bilinear", false, fixedPoint(t));
        }
        assertTrue(own >= 4 * CHANNELS.length, "ran " + own);
    }

    private static Model argMinMax(TensorType t, int[] in, int axis, boolean max, TensorType outType) {
        ModelBuilder b = new ModelBuilder("arg");
        Quantization q = t == TensorType.INT8 || t == TensorType.UINT8 ? Quantization.perTensor(0.1, 3) : null;
        int x = q == null ? b.input("x", t, in) : b.input("x", t, q, in);
        int a = b.constant("axis", new int[] {axis}, 1);
        int[] so = new int[in.length - 1];
        for (int d = 0, j = 0; d < in.length; d++) {
            if (d != axis) {
                so[j++] = in[d];
            }
        }
        BuiltinOptions o = BuiltinOptions.of(max ? "ArgMaxOptions" : "ArgMinOptions").set("output_type",
                outType == TensorType.INT32 ? 2 : 4);
        b.output(b.op(max ? BuiltinOperator.ARG_MAX : BuiltinOperator.ARG_MIN, 1, o, new int[] {x, a},
                TensorSpec.of("y", outType, so))[0]);
        return b.build();
    }

    /** Values from a small set, so ties are common (the first index must win). */
    private static TensorData fewValues(TensorType t, int[] shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(n * t.bits() / 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int v = r.nextInt(4);
            switch (t) {
                case INT8 -> b.put(i, (byte) (v == 3 ? -128 : v == 2 ? 127 : v));
                case UINT8 -> b.put(i, (byte) (v == 3 ? 255 : v));
                case FLOAT32 -> b.putFloat(i * 4, v == 3 ? -0.0f : v);
                default -> b.putInt(i * 4, v == 3 ? Integer.MIN_VALUE : v == 2 ? Integer.MAX_VALUE : v);
            }
        }
        return new TensorData(t, shape, b);
    }

    @Test
    void argMinMaxSweeps() {
        int own = 0;
        int n = 0;
        int[][] shapes = {{1, 5, 7, 21}, {2, 3, 1}, {3, 17}, {1, 9, 9, 65}, {4, 1, 33}, {1, 64, 64, 21}};
        for (TensorType t : new TensorType[] {TensorType.UINT8, TensorType.INT8, TensorType.FLOAT32,
                TensorType.INT32}) {
            for (int[] shape : shapes) {
                for (int axis = 0; axis < shape.length; axis++) {
                    boolean max = n % 2 == 0;
                    TensorType outType = n % 3 == 0 ? TensorType.INT64 : TensorType.INT32;
                    TensorData in = n % 2 == 0 ? fewValues(t, shape, n) : FastKernelHarness.random(t, shape, n, 5);
                    String label = (max ? "argmax " : "argmin ") + t + " " + java.util.Arrays.toString(shape)
                            + " axis " + axis;
                    own += FastKernelHarness.checkPaths(label, argMinMax(t, shape, axis, max, outType), List.of(in),
                            ElementwiseFamilies.ARG_MIN_MAX, prefix(t) + "_argminmax", false);
                    n++;
                }
            }
        }
        assertTrue(own > 50, "ran " + own);
    }

    private static Model unary(BuiltinOperator op, TensorType in, Quantization qi, TensorType out, Quantization qo,
            int[] shape) {
        ModelBuilder b = new ModelBuilder("unary");
        int x = b.input("x", in, qi, shape);
        TensorSpec o = qo == null ? TensorSpec.of("y", out, shape) : TensorSpec.quantized("y", out, qo, shape);
        b.output(b.op(op, 1, null, new int[] {x}, o)[0]);
        return b.build();
    }

    // The native paths of the family (QUANTIZE from float32 only) decline these nodes: a forced
    // ISA keeps the Java table kernels (nativeDeclines).
    @Test
    void tableKernels() {
        int own = 0;
        int n = 0;
        int[] sizes = {1, 2, 3, 7, 8, 9, 16, 17, 33, 64, 65, 70001};
        TensorType[] types = {TensorType.INT8, TensorType.UINT8};
        for (int size : sizes) {
            int[] shape = {1, size};
            for (TensorType in : types) {
                int lo = in == TensorType.INT8 ? -128 : 0;
                for (TensorType out : types) {
                    int olo = out == TensorType.INT8 ? -128 : 0;
                    // Multipliers below and above 1 (saturating), zero points at both ends.
                    double si = 0.02 + 0.01 * (n % 5);
                    double so = n % 2 == 0 ? si * 0.3 : si * 2.7;
                    int zi = n % 3 == 0 ? lo : n % 3 == 1 ? lo + 255 : lo + 100;
                    int zo = n % 3 == 0 ? olo + 255 : n % 3 == 1 ? olo : olo + 7;
                    Model m = unary(BuiltinOperator.QUANTIZE, in, Quantization.perTensor(si, zi), out,
                            Quantization.perTensor(so, zo), shape);
                    own += FastKernelHarness.checkPaths("requantize " + in + "->" + out + " n " + size, m,
                            List.of(FastKernelHarness.random(in, shape, n, 9)), ElementwiseFamilies.QUANTIZED_UNARY,
                            prefix(in) + "_" + prefix(out) + "_requantize_lut", false, true);
                    n++;
                }
                Quantization qi = Quantization.perTensor(0.03 + size * 1e-4, lo + 77);
                own += FastKernelHarness.checkPaths("dequantize " + in + " n " + size,
                        unary(BuiltinOperator.DEQUANTIZE, in, qi, TensorType.FLOAT32, null, shape),
                        List.of(FastKernelHarness.random(in, shape, n, 9)), ElementwiseFamilies.QUANTIZED_UNARY,
                        prefix(in) + "_f32_dequantize_lut", false, true);
                Quantization logOut = Quantization.perTensor(1 / 256.0, lo);
                own += FastKernelHarness.checkPaths("logistic " + in + " n " + size,
                        unary(BuiltinOperator.LOGISTIC, in, qi, in, logOut, shape),
                        List.of(FastKernelHarness.random(in, shape, n, 9)), ElementwiseFamilies.QUANTIZED_UNARY,
                        prefix(in) + "_logistic_lut", false, true);
                Quantization tanhOut = Quantization.perTensor(1 / 128.0, in == TensorType.INT8 ? 0 : 128);
                own += FastKernelHarness.checkPaths("tanh " + in + " n " + size,
                        unary(BuiltinOperator.TANH, in, qi, in, tanhOut, shape),
                        List.of(FastKernelHarness.random(in, shape, n, 9)), ElementwiseFamilies.QUANTIZED_UNARY,
                        prefix(in) + "_tanh_lut", false, true);
            }
        }
        assertTrue(own >= sizes.length * 10, "ran " + own);
    }
}
