package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * CONV_2D reference kernels, in the loop order of TFLite's {@code reference_ops::Conv} and
 * {@code reference_integer_ops::ConvPerChannel}: NHWC input, OHWI filter, grouped (output
 * channel {@code oc} reads input channels {@code group * filterInC ..} of its group), zero
 * padding by skipping taps outside the image.
 */
public final class ConvKernels {
    /** float32: {@code reference_ops::Conv}. */
    public static final Kernel<ConvParams> F32 = new NamedKernel<>("f32_conv2d__reference", ConvKernels::f32);
    /**
     * int8 activations, int8 weights with one scale (broadcast to every channel), int32 bias;
     * the same arithmetic as {@link #QS8_QC8W}.
     */
    public static final Kernel<ConvParams> QS8 = new NamedKernel<>("qs8_conv2d__reference", ConvKernels::int8Ruy);
    /**
     * int8 activations, per-channel int8 weights (axis 0), int32 bias, one group: what
     * TFLite's optimized {@code ConvPerChannel} computes, an exact int32 dot product
     * {@code sum(w * (x + inputOffset)) + bias} requantized with ruy's rounding
     * ({@link RuyMath}), then the output offset and clamp.
     */
    public static final Kernel<ConvParams> QS8_QC8W = new NamedKernel<>("qs8_qc8w_conv2d__reference",
            ConvKernels::int8Ruy);
    /**
     * int8, grouped convolution (per-tensor or per-channel weights): TFLite runs groups on
     * {@code reference_integer_ops::ConvPerChannel}, whose requantization is TFLite's own
     * {@code MultiplyByQuantizedMultiplier} (halves of the final shift away from zero).
     */
    public static final Kernel<ConvParams> QS8_QC8W_GROUPED = new NamedKernel<>("qs8_qc8w_conv2d_grouped__reference",
            ConvKernels::int8Reference);
    /**
     * uint8 activations and weights, both asymmetric, int32 bias, one multiplier:
     * {@code acc += (w + filterOffset) * (x + inputOffset)}, then
     * {@code MultiplyByQuantizedMultiplier} (gemmlowp's fixed-point output stage, which
     * TFLite's optimized uint8 conv uses, computes the same), output offset, clamp.
     */
    public static final Kernel<ConvParams> QU8 = new NamedKernel<>("qu8_conv2d__reference", ConvKernels::uint8);
    /**
     * int16 activations (zero point 0), per-channel int8 weights, int64 bias: the int64
     * accumulator of {@code reference_integer_ops::ConvPerChannel<int64_t>} and the int64
     * {@code MultiplyByQuantizedMultiplier}; no output offset (it is 0).
     */
    public static final Kernel<ConvParams> QS16_QC8W = new NamedKernel<>("qs16_qc8w_conv2d__reference", ConvKernels::int16);
    /**
     * Hybrid, per-tensor int8 weights (or per-axis scales that are all equal): TFLite's
     * {@code EvalHybrid}. Each batch of the float input is quantized symmetrically
     * ({@link DynamicQuantization#symmetric}) and its scale multiplied by the filter scale;
     * {@code out = (float) dot * scale + bias}, clamped.
     */
    public static final Kernel<ConvParams> QD8_F32_QS8W = new NamedKernel<>("qd8_f32_qs8w_conv2d__reference",
            ConvKernels::hybridPerTensor);
    /**
     * Hybrid, per-channel int8 weights with differing scales (and every grouped hybrid conv):
     * TFLite's {@code EvalHybridPerChannel}. Each batch is quantized asymmetrically
     * ({@link DynamicQuantization#asymmetric});
     * {@code out = (float) sum(w * (q - offset)) * filterScale[oc] * inputScale + bias}, clamped.
     */
    public static final Kernel<ConvParams> QD8_F32_QC8W = new NamedKernel<>("qd8_f32_qc8w_conv2d__reference",
            ConvKernels::hybridPerChannel);

    private ConvKernels() {
    }

    static void f32(ConvParams p, ExecutionState s) {
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int oc = 0; oc < p.outC(); oc++) {
                        int group = oc / p.filtersPerGroup();
                        float total = 0f;
                        for (int fy = 0; fy < p.kh(); fy++) {
                            int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                            for (int fx = 0; fx < p.kw(); fx++) {
                                int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                    continue;
                                }
                                int inBase = inIndex(p, b, iy, ix) + group * p.filterInC();
                                int wBase = filterIndex(p, oc, fy, fx);
                                for (int ic = 0; ic < p.filterInC(); ic++) {
                                    total += s.getFloat(p.input(), inBase + ic) * s.getFloat(p.filter(), wBase + ic);
                                }
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

    static void int8Ruy(ConvParams p, ExecutionState s) {
        int8(p, s, true);
    }

    static void int8Reference(ConvParams p, ExecutionState s) {
        int8(p, s, false);
    }

    /**
     * int8: {@code acc += w * (x + inputOffset)} in int32, bias, per-channel multiplier (ruy's
     * or TFLite's rounding), output offset, clamp.
     */
    static void int8(ConvParams p, ExecutionState s, boolean ruy) {
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int oc = 0; oc < p.outC(); oc++) {
                        int group = oc / p.filtersPerGroup();
                        int acc = 0;
                        for (int fy = 0; fy < p.kh(); fy++) {
                            int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                            for (int fx = 0; fx < p.kw(); fx++) {
                                int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                    continue;
                                }
                                int inBase = inIndex(p, b, iy, ix) + group * p.filterInC();
                                int wBase = filterIndex(p, oc, fy, fx);
                                for (int ic = 0; ic < p.filterInC(); ic++) {
                                    acc += s.getByte(p.filter(), wBase + ic)
                                            * (s.getByte(p.input(), inBase + ic) + p.inputOffset());
                                }
                            }
                        }
                        if (p.bias() >= 0) {
                            acc += s.getInt(p.bias(), oc);
                        }
                        acc = ruy ? RuyMath.multiplyByQuantizedMultiplier(acc, p.multipliers()[oc], p.shifts()[oc])
                                : FixedPoint.multiplyByQuantizedMultiplier(acc, p.multipliers()[oc], p.shifts()[oc]);
                        acc = FixedPoint.clamp(acc + p.outputOffset(), p.actMin(), p.actMax());
                        s.putByte(p.output(), outIndex(p, b, oy, ox, oc), (byte) acc);
                    }
                }
            }
        }
    }

    static void uint8(ConvParams p, ExecutionState s) {
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int oc = 0; oc < p.outC(); oc++) {
                        int group = oc / p.filtersPerGroup();
                        int acc = 0;
                        for (int fy = 0; fy < p.kh(); fy++) {
                            int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                            for (int fx = 0; fx < p.kw(); fx++) {
                                int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                    continue;
                                }
                                int inBase = inIndex(p, b, iy, ix) + group * p.filterInC();
                                int wBase = filterIndex(p, oc, fy, fx);
                                for (int ic = 0; ic < p.filterInC(); ic++) {
                                    int x = s.getUnsignedByte(p.input(), inBase + ic);
                                    int w = s.getUnsignedByte(p.filter(), wBase + ic);
                                    acc += (w + p.filterOffset()) * (x + p.inputOffset());
                                }
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

    static void int16(ConvParams p, ExecutionState s) {
        for (int b = 0; b < p.batches(); b++) {
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int oc = 0; oc < p.outC(); oc++) {
                        int group = oc / p.filtersPerGroup();
                        long acc = 0;
                        for (int fy = 0; fy < p.kh(); fy++) {
                            int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                            for (int fx = 0; fx < p.kw(); fx++) {
                                int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                    continue;
                                }
                                int inBase = inIndex(p, b, iy, ix) + group * p.filterInC();
                                int wBase = filterIndex(p, oc, fy, fx);
                                for (int ic = 0; ic < p.filterInC(); ic++) {
                                    acc += s.getByte(p.filter(), wBase + ic) * s.getShort(p.input(), inBase + ic);
                                }
                            }
                        }
                        if (p.bias() >= 0) {
                            acc += s.getLong(p.bias(), oc);
                        }
                        int scaled = FixedPoint.multiplyByQuantizedMultiplier(acc, p.multipliers()[oc], p.shifts()[oc]);
                        scaled = FixedPoint.clamp(scaled, p.actMin(), p.actMax());
                        s.putShort(p.output(), outIndex(p, b, oy, ox, oc), (short) scaled);
                    }
                }
            }
        }
    }

    static void hybridPerTensor(ConvParams p, ExecutionState s) {
        HybridScratch h = p.scratch();
        int perBatch = p.inH() * p.inW() * p.inC();
        for (int b = 0; b < p.batches(); b++) {
            s.putScratchFloat(h.scalingFactors(), b,
                    DynamicQuantization.symmetric(s, p.input(), b * perBatch, perBatch, h.quantized())
                            * p.filterScales()[0]);
            s.putScratchInt(h.offsets(), b, 0);
        }
        hybrid(p, s, h, false);
    }

    static void hybridPerChannel(ConvParams p, ExecutionState s) {
        HybridScratch h = p.scratch();
        int perBatch = p.inH() * p.inW() * p.inC();
        for (int b = 0; b < p.batches(); b++) {
            DynamicQuantization.asymmetric(s, p.input(), b * perBatch, perBatch, h, b);
        }
        hybrid(p, s, h, true);
    }

    /** The integer dot products of the hybrid kernels over the quantized input, rescaled in float. */
    static void hybrid(ConvParams p, ExecutionState s, HybridScratch h, boolean perChannel) {
        for (int b = 0; b < p.batches(); b++) {
            int offset = h.offset(s, b);
            float scalingFactor = h.scalingFactor(s, b);
            for (int oy = 0; oy < p.outH(); oy++) {
                for (int ox = 0; ox < p.outW(); ox++) {
                    for (int oc = 0; oc < p.outC(); oc++) {
                        int group = oc / p.filtersPerGroup();
                        int acc = 0;
                        for (int fy = 0; fy < p.kh(); fy++) {
                            int iy = oy * p.strideH() - p.padH() + p.dilH() * fy;
                            for (int fx = 0; fx < p.kw(); fx++) {
                                int ix = ox * p.strideW() - p.padW() + p.dilW() * fx;
                                if (iy < 0 || iy >= p.inH() || ix < 0 || ix >= p.inW()) {
                                    continue;
                                }
                                int inBase = inIndex(p, b, iy, ix) + group * p.filterInC();
                                int wBase = filterIndex(p, oc, fy, fx);
                                for (int ic = 0; ic < p.filterInC(); ic++) {
                                    acc += s.getByte(p.filter(), wBase + ic) * (h.quantized(s, inBase + ic) - offset);
                                }
                            }
                        }
                        float v = perChannel ? acc * p.filterScales()[oc] * scalingFactor
                                : acc * scalingFactor;
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

    static int inIndex(ConvParams p, int b, int iy, int ix) {
        return ((b * p.inH() + iy) * p.inW() + ix) * p.inC();
    }

    static int filterIndex(ConvParams p, int oc, int fy, int fx) {
        return ((oc * p.kh() + fy) * p.kw() + fx) * p.filterInC();
    }

    static int outIndex(ConvParams p, int b, int oy, int ox, int oc) {
        return ((b * p.outH() + oy) * p.outW() + ox) * p.outC() + oc;
    }
}
