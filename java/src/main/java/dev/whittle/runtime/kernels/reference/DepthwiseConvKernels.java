package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * DEPTHWISE_CONV_2D reference kernels, in the loop order of TFLite's
 * {@code reference_ops::DepthwiseConv} and {@code reference_integer_ops::DepthwiseConvPerChannel}.
 * Every kernel accumulates one output element over the window in an integer (or float)
 * accumulator, adds the bias and requantizes, exactly as those functions do; TFLite's x86
 * optimized depthwise kernels compute the same integers.
 */
public final class DepthwiseConvKernels {
    /** float32: {@code reference_ops::DepthwiseConv}. */
    public static final Kernel<DepthwiseConvParams> F32 = new NamedKernel<>("f32_dwconv2d__reference",
            DepthwiseConvKernels::f32);
    /** int8 activations and per-tensor int8 weights (same loop as {@link #QS8_QC8W}). */
    public static final Kernel<DepthwiseConvParams> QS8 = new NamedKernel<>("qs8_dwconv2d__reference",
            DepthwiseConvKernels::int8);
    /** int8 activations, per-channel int8 weights on axis 3, int32 bias. */
    public static final Kernel<DepthwiseConvParams> QS8_QC8W = new NamedKernel<>("qs8_qc8w_dwconv2d__reference",
            DepthwiseConvKernels::int8);
    /** uint8 activations and asymmetric per-tensor uint8 weights, int32 bias, one multiplier. */
    public static final Kernel<DepthwiseConvParams> QU8 = new NamedKernel<>("qu8_dwconv2d__reference",
            DepthwiseConvKernels::uint8);
    /** int16 activations (zero point 0), int8 weights, int64 bias and accumulator. */
    public static final Kernel<DepthwiseConvParams> QS16_QC8W = new NamedKernel<>("qs16_qc8w_dwconv2d__reference",
            DepthwiseConvKernels::int16);
    /**
     * Hybrid: float32 activations quantized asymmetrically per batch at run time
     * ({@link DynamicQuantization#asymmetric}), int8 weights with one scale per output
     * channel: TFLite's {@code DepthwiseConvHybridPerChannel}.
     */
    public static final Kernel<DepthwiseConvParams> QD8_F32_QC8W = new NamedKernel<>(
            "qd8_f32_qc8w_dwconv2d__reference", DepthwiseConvKernels::hybrid);

    private DepthwiseConvKernels() {
    }

    static void f32(DepthwiseConvParams p, ExecutionState s) {
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int ic = 0; ic < p.inC(); ic++) {
                        for (int m = 0; m < p.multiplier(); m++) {
                            int oc = ic * p.multiplier() + m;
                            float total = 0f;
                            for (int fy = 0; fy < p.kh(); fy++) {
                                int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                                for (int fx = 0; fx < p.kw(); fx++) {
                                    int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                    if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                        continue;
                                    }
                                    total += s.getFloat(p.input(), inIndex(p, b, iy, ix, ic))
                                            * s.getFloat(p.filter(), filterIndex(p, fy, fx, oc));
                                }
                            }
                            float bias = p.bias() >= 0 ? s.getFloat(p.bias(), oc) : 0f;
                            s.putFloat(p.output(), outIndex(p, b, oy, ox, oc),
                                    Math.min(Math.max(total + bias, p.floatMin()), p.floatMax()));
                        }
                    }
                }
            }
        }
    }

    /**
     * int8 and uint8: {@code acc += (w + filterOffset) * (x + inputOffset)} in int32 (the
     * filter offset is 0 for int8), bias, {@code MultiplyByQuantizedMultiplier}, output
     * offset, clamp.
     */
    static void quantized(DepthwiseConvParams p, ExecutionState s, boolean unsigned) {
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int ic = 0; ic < p.inC(); ic++) {
                        for (int m = 0; m < p.multiplier(); m++) {
                            int oc = ic * p.multiplier() + m;
                            int acc = 0;
                            for (int fy = 0; fy < p.kh(); fy++) {
                                int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                                for (int fx = 0; fx < p.kw(); fx++) {
                                    int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                    if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                        continue;
                                    }
                                    int xi = inIndex(p, b, iy, ix, ic);
                                    int wi = filterIndex(p, fy, fx, oc);
                                    int x = unsigned ? s.getUnsignedByte(p.input(), xi) : s.getByte(p.input(), xi);
                                    int w = unsigned ? s.getUnsignedByte(p.filter(), wi) : s.getByte(p.filter(), wi);
                                    acc += (w + p.filterOffset()) * (x + p.inputOffset());
                                }
                            }
                            if (p.bias() >= 0) {
                                acc += s.getInt(p.bias(), oc);
                            }
                            acc = FixedPoint.multiplyByQuantizedMultiplier(acc, p.multipliers()[oc], p.shifts()[oc]);
                            acc = FixedPoint.clamp(acc + p.outputOffset(), p.actMin(), p.actMax());
                            s.putByte(p.output(), outIndex(p, b, oy, ox, oc), (byte) acc);
                        }
                    }
                }
            }
        }
    }

    static void int8(DepthwiseConvParams p, ExecutionState s) {
        quantized(p, s, false);
    }

    static void uint8(DepthwiseConvParams p, ExecutionState s) {
        quantized(p, s, true);
    }

    static void int16(DepthwiseConvParams p, ExecutionState s) {
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int ic = 0; ic < p.inC(); ic++) {
                        for (int m = 0; m < p.multiplier(); m++) {
                            int oc = ic * p.multiplier() + m;
                            long acc = 0;
                            for (int fy = 0; fy < p.kh(); fy++) {
                                int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                                for (int fx = 0; fx < p.kw(); fx++) {
                                    int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                    if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                        continue;
                                    }
                                    acc += s.getByte(p.filter(), filterIndex(p, fy, fx, oc))
                                            * s.getShort(p.input(), inIndex(p, b, iy, ix, ic));
                                }
                            }
                            if (p.bias() >= 0) {
                                acc += s.getLong(p.bias(), oc);
                            }
                            int scaled = FixedPoint.multiplyByQuantizedMultiplier(acc, p.multipliers()[oc],
                                    p.shifts()[oc]);
                            scaled = FixedPoint.clamp(scaled, p.actMin(), p.actMax());
                            s.putShort(p.output(), outIndex(p, b, oy, ox, oc), (short) scaled);
                        }
                    }
                }
            }
        }
    }

    static void hybrid(DepthwiseConvParams p, ExecutionState s) {
        HybridScratch h = p.scratch();
        int perBatch = p.inH() * p.inW() * p.inC();
        for (int b = 0; b < p.batches(); b++) {
            DynamicQuantization.asymmetric(s, p.input(), b * perBatch, perBatch, h, b);
        }
        for (int b = 0; b < p.batches(); b++) {
            int offset = h.offset(s, b);
            float scalingFactor = h.scalingFactor(s, b);
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int ic = 0; ic < p.inC(); ic++) {
                        for (int m = 0; m < p.multiplier(); m++) {
                            int oc = ic * p.multiplier() + m;
                            int acc = 0;
                            for (int fy = 0; fy < p.kh(); fy++) {
                                int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                                for (int fx = 0; fx < p.kw(); fx++) {
                                    int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                    if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                        continue;
                                    }
                                    acc += s.getByte(p.filter(), filterIndex(p, fy, fx, oc))
                                            * (h.quantized(s, inIndex(p, b, iy, ix, ic)) - offset);
                                }
                            }
                            float v = acc * p.filterScales()[oc] * scalingFactor;
                            if (p.bias() >= 0) {
                                v += s.getFloat(p.bias(), oc);
                            }
                            s.putFloat(p.output(), outIndex(p, b, oy, ox, oc),
                                    Math.min(Math.max(v, p.floatMin()), p.floatMax()));
                        }
                    }
                }
            }
        }
    }

    static int inIndex(DepthwiseConvParams p, int b, int iy, int ix, int ic) {
        return ((b * p.inH() + iy) * p.inW() + ix) * p.inC() + ic;
    }

    static int filterIndex(DepthwiseConvParams p, int fy, int fx, int oc) {
        return (fy * p.kw() + fx) * p.outC() + oc;
    }

    static int outIndex(DepthwiseConvParams p, int b, int oy, int ox, int oc) {
        return ((b * p.outH() + oy) * p.outW() + ox) * p.outC() + oc;
    }
}
