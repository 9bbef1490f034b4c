package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.CppMath;

/**
 * RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR over NHWC tensors, as TFLite 2.20's builtin
 * kernels compute them:
 *
 * <ul>
 * <li>{@code f32_resize_bilinear__reference} and {@code qu8_resize_bilinear__reference}: float
 *     source coordinates ({@code ComputeInterpolationValues}) and float corner weights; uint8
 *     as {@code optimized_ops::ResizeBilinearGenericSmallChannel} sums
 *     {@code v00*w00 + v01*w01 + v10*w10 + v11*w11 + 0.5f} in float32, in that order, and
 *     truncates. (The optimized x8 half-pixel path, {@code ResizeBilinear888Uint8}, computes
 *     the same values in 8.8 fixed point: its weights are multiples of 1/16, so both are
 *     exact; the tests check that case.)</li>
 * <li>{@code qs8_resize_bilinear__reference} and {@code qs16_resize_bilinear__reference}:
 *     {@code reference_ops::ResizeBilinearInteger}, coordinates with 10 fractional bits and an
 *     int64 sum of the four corners rounded half away from zero by {@code 2^20}.</li>
 * <li>nearest neighbour: {@code GetNearestNeighbor}'s float arithmetic, except uint8 without
 *     align_corners and half_pixel_centers, which the optimized kernel computes with 16.16
 *     fixed-point scales {@code (in << 16) / out + 1}.</li>
 * </ul>
 */
public final class ResizeKernels {
    private ResizeKernels() {
    }

    /** One node's geometry and flags. */
    public record Params(TensorType type, int input, int output, int batches, int inH, int inW, int channels,
            int outH, int outW, boolean alignCorners, boolean halfPixelCenters) {
    }

    public static final Kernel<Params> F32_BILINEAR = new ReferenceKernel<>("f32_resize_bilinear__reference",
            ResizeKernels::bilinearFloat);
    public static final Kernel<Params> QU8_BILINEAR = new ReferenceKernel<>("qu8_resize_bilinear__reference",
            ResizeKernels::bilinearFloat);
    public static final Kernel<Params> QS8_BILINEAR = new ReferenceKernel<>("qs8_resize_bilinear__reference",
            ResizeKernels::bilinearInteger);
    public static final Kernel<Params> QS16_BILINEAR = new ReferenceKernel<>("qs16_resize_bilinear__reference",
            ResizeKernels::bilinearInteger);
    public static final Kernel<Params> F32_NEAREST = new ReferenceKernel<>(
            "f32_resize_nearest_neighbor__reference", ResizeKernels::nearest);
    public static final Kernel<Params> QS8_NEAREST = new ReferenceKernel<>(
            "qs8_resize_nearest_neighbor__reference", ResizeKernels::nearest);
    public static final Kernel<Params> QU8_NEAREST = new ReferenceKernel<>(
            "qu8_resize_nearest_neighbor__reference", ResizeKernels::nearest);
    public static final Kernel<Params> QS16_NEAREST = new ReferenceKernel<>(
            "qs16_resize_nearest_neighbor__reference", ResizeKernels::nearest);

    private static float scale(int in, int out, boolean alignCorners) {
        return alignCorners && out > 1 ? (float) (in - 1) / (out - 1) : (float) in / out;
    }

    private static int index(Params p, int b, int y, int x, int c) {
        return ((b * p.inH() + y) * p.inW() + x) * p.channels() + c;
    }

    private static void bilinearFloat(Params p, ExecutionState s) {
        boolean isFloat = p.type() == TensorType.FLOAT32;
        float hs = scale(p.inH(), p.outH(), p.alignCorners());
        float ws = scale(p.inW(), p.outW(), p.alignCorners());
        int o = 0;
        for (int b = 0; b < p.batches(); b++) {
            for (int y = 0; y < p.outH(); y++) {
                float iy = p.halfPixelCenters() ? ((float) y + 0.5f) * hs - 0.5f : (float) y * hs;
                int y0 = Math.max((int) (float) Math.floor(iy), 0);
                int y1 = Math.min((int) (float) Math.ceil(iy), p.inH() - 1);
                for (int x = 0; x < p.outW(); x++) {
                    float ix = p.halfPixelCenters() ? ((float) x + 0.5f) * ws - 0.5f : (float) x * ws;
                    int x0 = Math.max((int) (float) Math.floor(ix), 0);
                    int x1 = Math.min((int) (float) Math.ceil(ix), p.inW() - 1);
                    float w00 = (1 - (iy - y0)) * (1 - (ix - x0));
                    float w01 = (1 - (iy - y0)) * (ix - x0);
                    float w10 = (iy - y0) * (1 - (ix - x0));
                    float w11 = (iy - y0) * (ix - x0);
                    for (int c = 0; c < p.channels(); c++, o++) {
                        int i00 = index(p, b, y0, x0, c);
                        int i01 = index(p, b, y0, x1, c);
                        int i10 = index(p, b, y1, x0, c);
                        int i11 = index(p, b, y1, x1, c);
                        if (isFloat) {
                            float v = s.getFloat(p.input(), i00) * w00 + s.getFloat(p.input(), i01) * w01
                                    + s.getFloat(p.input(), i10) * w10 + s.getFloat(p.input(), i11) * w11;
                            s.putFloat(p.output(), o, v);
                        } else {
                            float v = s.getUnsignedByte(p.input(), i00) * w00 + s.getUnsignedByte(p.input(), i01) * w01
                                    + s.getUnsignedByte(p.input(), i10) * w10 + s.getUnsignedByte(p.input(), i11) * w11
                                    + 0.5f;
                            s.putByte(p.output(), o, (byte) (int) v);
                        }
                    }
                }
            }
        }
    }

    private static int scale10(int in, int out, boolean alignCorners) {
        if (alignCorners && out > 1) {
            return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
        }
        return ((1 << 10) * in + out / 2) / out;
    }

    private static void bilinearInteger(Params p, ExecutionState s) {
        int hs = scale10(p.inH(), p.outH(), p.alignCorners());
        int ws = scale10(p.inW(), p.outW(), p.alignCorners());
        int o = 0;
        for (int b = 0; b < p.batches(); b++) {
            for (int y = 0; y < p.outH(); y++) {
                int iy = p.halfPixelCenters() ? y * hs + hs / 2 - (1 << 9) : y * hs;
                int y0 = Math.max(iy / (1 << 10), 0);
                int y1 = Math.min((iy + (1 << 10) - 1) / (1 << 10), p.inH() - 1);
                for (int x = 0; x < p.outW(); x++) {
                    int ix = p.halfPixelCenters() ? x * ws + ws / 2 - (1 << 9) : x * ws;
                    int x0 = Math.max(ix / (1 << 10), 0);
                    int x1 = Math.min((ix + (1 << 10) - 1) / (1 << 10), p.inW() - 1);
                    long dy = iy - (1 << 10) * y0;
                    long dx = ix - (1 << 10) * x0;
                    for (int c = 0; c < p.channels(); c++, o++) {
                        long v00 = Elements.get(s, p.type(), p.input(), index(p, b, y0, x0, c));
                        long v10 = Elements.get(s, p.type(), p.input(), index(p, b, y1, x0, c));
                        long v01 = Elements.get(s, p.type(), p.input(), index(p, b, y0, x1, c));
                        long v11 = Elements.get(s, p.type(), p.input(), index(p, b, y1, x1, c));
                        long sum = v00 * ((1 << 10) - dy) * ((1 << 10) - dx) + v10 * dy * ((1 << 10) - dx)
                                + v01 * ((1 << 10) - dy) * dx + v11 * dy * dx;
                        long round = sum > 0 ? (1 << 19) : -(1 << 19);
                        Elements.put(s, p.type(), p.output(), o, (sum + round) / (1 << 20));
                    }
                }
            }
        }
    }

    /** TFLite's {@code GetNearestNeighbor}. */
    private static int nearestSource(int v, int in, int out, boolean alignCorners, boolean halfPixel) {
        float scale = alignCorners && out > 1 ? (in - 1) / (float) (out - 1) : in / (float) out;
        float offset = halfPixel ? 0.5f : 0.0f;
        float scaled = ((float) v + offset) * scale;
        int r = Math.min(alignCorners ? (int) CppMath.round(scaled) : (int) (float) Math.floor(scaled), in - 1);
        return halfPixel ? Math.max(0, r) : r;
    }

    private static void nearest(Params p, ExecutionState s) {
        boolean fixedPoint = p.type() == TensorType.UINT8 && !p.alignCorners() && !p.halfPixelCenters();
        int hs = (p.inH() << 16) / p.outH() + 1;
        int ws = (p.inW() << 16) / p.outW() + 1;
        int size = Elements.size(p.type());
        int o = 0;
        for (int b = 0; b < p.batches(); b++) {
            for (int y = 0; y < p.outH(); y++) {
                int iy = fixedPoint ? Math.min((y * hs) >> 16, p.inH() - 1)
                        : nearestSource(y, p.inH(), p.outH(), p.alignCorners(), p.halfPixelCenters());
                for (int x = 0; x < p.outW(); x++) {
                    int ix = fixedPoint ? Math.min((x * ws) >> 16, p.inW() - 1)
                            : nearestSource(x, p.inW(), p.outW(), p.alignCorners(), p.halfPixelCenters());
                    Elements.copy(s, p.input(), index(p, b, iy, ix, 0), p.output(), o, p.channels(), size);
                    o += p.channels();
                }
            }
        }
    }
}
