package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;

/**
 * AVERAGE_POOL_2D and MAX_POOL_2D over NHWC tensors. A window that hangs over the edge under
 * SAME padding covers only the cells inside the input, for the maximum and for the average's
 * divisor alike (TFLite's {@code filter_count}).
 *
 * <p>Quantized average, as TFLite's pooling kernels compute it for int8, uint8 (the optimized
 * kernels) and int16 (the reference one): an int32 sum of the raw values, then
 * {@code (sum + count/2) / count} for a positive sum and {@code (sum - count/2) / count}
 * otherwise, with C's truncating division (halves away from zero), then the activation clamp.
 * Input and output share scale and zero point, so no rescaling happens.
 */
public final class Pool2DKernels {
    private Pool2DKernels() {
    }

    /** One node's geometry; {@code type} is the tensors' type, the bounds the activation clamp. */
    public record Params(TensorType type, int input, int output, int batches, int inH, int inW, int channels,
            int outH, int outW, int fh, int fw, int strideH, int strideW, int padH, int padW, float floatMin,
            float floatMax, int quantMin, int quantMax) {
    }

    public static final Kernel<Params> F32_AVERAGE = average("f32_average_pool2d__reference");
    public static final Kernel<Params> QS8_AVERAGE = average("qs8_average_pool2d__reference");
    public static final Kernel<Params> QU8_AVERAGE = average("qu8_average_pool2d__reference");
    public static final Kernel<Params> QS16_AVERAGE = average("qs16_average_pool2d__reference");
    public static final Kernel<Params> F32_MAX = max("f32_max_pool2d__reference");
    public static final Kernel<Params> QS8_MAX = max("qs8_max_pool2d__reference");
    public static final Kernel<Params> QU8_MAX = max("qu8_max_pool2d__reference");
    public static final Kernel<Params> QS16_MAX = max("qs16_max_pool2d__reference");

    private static Kernel<Params> average(String name) {
        return new ReferenceKernel<>(name, (p, s) -> pool(p, s, false));
    }

    private static Kernel<Params> max(String name) {
        return new ReferenceKernel<>(name, (p, s) -> pool(p, s, true));
    }

    /** The average kernel for a tensor type, or null. */
    public static Kernel<Params> averageFor(TensorType type) {
        return switch (type) {
            case FLOAT32 -> F32_AVERAGE;
            case INT8 -> QS8_AVERAGE;
            case UINT8 -> QU8_AVERAGE;
            case INT16 -> QS16_AVERAGE;
            default -> null;
        };
    }

    /** The max kernel for a tensor type, or null. */
    public static Kernel<Params> maxFor(TensorType type) {
        return switch (type) {
            case FLOAT32 -> F32_MAX;
            case INT8 -> QS8_MAX;
            case UINT8 -> QU8_MAX;
            case INT16 -> QS16_MAX;
            default -> null;
        };
    }

    private static void pool(Params p, ExecutionState s, boolean max) {
        boolean isFloat = p.type() == TensorType.FLOAT32;
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    int originY = oy * p.strideH() - p.padH();
                    int originX = ox * p.strideW() - p.padW();
                    int yStart = Math.max(0, -originY);
                    int yEnd = Math.min(p.fh(), p.inH() - originY);
                    int xStart = Math.max(0, -originX);
                    int xEnd = Math.min(p.fw(), p.inW() - originX);
                    int count = (yEnd - yStart) * (xEnd - xStart);
                    for (int c = 0; c < p.channels(); c++) {
                        int outIndex = ((b * p.outH() + oy) * p.outW() + ox) * p.channels() + c;
                        if (isFloat) {
                            float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                            for (int fy = yStart; fy < yEnd; fy++) {
                                for (int fx = xStart; fx < xEnd; fx++) {
                                    float v = s.getFloat(p.input(), index(p, b, originY + fy, originX + fx, c));
                                    acc = max ? Math.max(acc, v) : acc + v;
                                }
                            }
                            float r = max ? acc : count > 0 ? acc / count : 0f;
                            s.putFloat(p.output(), outIndex, Math.min(Math.max(r, p.floatMin()), p.floatMax()));
                        } else {
                            int acc = max ? Integer.MIN_VALUE : 0;
                            for (int fy = yStart; fy < yEnd; fy++) {
                                for (int fx = xStart; fx < xEnd; fx++) {
                                    int v = (int) Elements.get(s, p.type(), p.input(),
                                            index(p, b, originY + fy, originX + fx, c));
                                    acc = max ? Math.max(acc, v) : acc + v;
                                }
                            }
                            int r;
                            if (max) {
                                r = acc;
                            } else {
                                r = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                            }
                            r = Math.min(Math.max(r, p.quantMin()), p.quantMax());
                            Elements.put(s, p.type(), p.output(), outIndex, r);
                        }
                    }
                }
            }
        }
    }

    private static int index(Params p, int b, int y, int x, int c) {
        return ((b * p.inH() + y) * p.inW() + x) * p.channels() + c;
    }
}
