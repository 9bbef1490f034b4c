package dev.whittle.runtime.ops;

import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.HybridScratch;
import dev.whittle.runtime.quant.ActivationRange;
import dev.whittle.runtime.quant.ConvQuantization;
import dev.whittle.runtime.quant.QuantizedMultiplier;

import java.util.Arrays;

/**
 * What CONV_2D and DEPTHWISE_CONV_2D share in prepare: the type combinations TFLite runs,
 * the filter quantization checks of {@code conv.cc}, {@code depthwise_conv.cc} and
 * {@code PopulateConvolutionQuantizationParams}, and the multipliers it derives.
 */
final class ConvSupport {
    /** Which arithmetic a convolution node runs. */
    enum Flavor {
        F32, QS8, QS8_QC8W, QU8, QS16_QC8W, HYBRID_PER_TENSOR, HYBRID_PER_CHANNEL
    }

    /** Multipliers per output channel, offsets and activation bounds of a quantized node. */
    record Quant(int inputOffset, int filterOffset, int outputOffset, int[] multipliers, int[] shifts, int actMin,
            int actMax) {
        static final Quant NONE = new Quant(0, 0, 0, new int[0], new int[0], 0, 0);
    }

    private ConvSupport() {
    }

    /** The filter's quantization if it is affine, else null. */
    static Quantization affine(Tensor t) {
        Quantization q = t.quantization();
        return q != null && q.isAffine() ? q : null;
    }

    /**
     * Picks the flavor from the input, filter, bias and output types, refusing what TFLite
     * refuses or what it runs into undefined behaviour on.
     *
     * @param channelAxis the filter axis of the output channels (0 for CONV_2D, 3 for depthwise)
     */
    static Flavor flavor(PrepareContext ctx, int channelAxis, int outC) {
        TensorType in = ctx.inputTensor(0).type();
        TensorType w = ctx.inputTensor(1).type();
        TensorType out = ctx.outputTensor(0).type();
        TensorType bias = ctx.input(2) >= 0 ? ctx.inputTensor(2).type() : null;
        if (out != in) {
            throw ctx.unsupported("output type " + out + " differs from input type " + in);
        }
        Quantization wq = affine(ctx.inputTensor(1));
        switch (in) {
            case FLOAT32 -> {
                requireBias(ctx, bias, TensorType.FLOAT32);
                if (w == TensorType.FLOAT32) {
                    return Flavor.F32;
                }
                if (w != TensorType.INT8) {
                    throw ctx.unsupported("FLOAT32 input with " + w + " filter (hybrid needs INT8 weights)");
                }
                if (wq == null) {
                    throw ctx.unsupported("hybrid INT8 filter has no quantization scale");
                }
                requireZeroFilterZeroPoints(ctx, wq);
                float[] scales = wq.scale();
                if (scales.length > 1) {
                    requireAxis(ctx, wq, channelAxis, outC);
                }
                boolean differ = false;
                for (float sc : scales) {
                    differ |= sc != scales[0];
                }
                return differ ? Flavor.HYBRID_PER_CHANNEL : Flavor.HYBRID_PER_TENSOR;
            }
            case INT8 -> {
                if (w != TensorType.INT8) {
                    throw ctx.unsupported("INT8 input needs an INT8 filter, has " + w);
                }
                requireBias(ctx, bias, TensorType.INT32);
                requireQuantized(ctx, wq);
                requireZeroFilterZeroPoints(ctx, wq);
                if (wq.scaleCount() > 1) {
                    requireAxis(ctx, wq, channelAxis, outC);
                    return Flavor.QS8_QC8W;
                }
                return Flavor.QS8;
            }
            case UINT8 -> {
                if (w != TensorType.UINT8) {
                    throw ctx.unsupported("UINT8 input needs a UINT8 filter, has " + w);
                }
                requireBias(ctx, bias, TensorType.INT32);
                requireQuantized(ctx, wq);
                if (wq.scaleCount() != 1) {
                    throw ctx.unsupported("UINT8 filter must be quantized per tensor (TFLite has no per-channel"
                            + " uint8 convolution), has " + wq.scaleCount() + " scales");
                }
                return Flavor.QU8;
            }
            case INT16 -> {
                if (w != TensorType.INT8) {
                    throw ctx.unsupported("INT16 input needs an INT8 filter, has " + w);
                }
                if (ctx.inputZeroPoint(0) != 0 || ctx.outputZeroPoint(0) != 0) {
                    throw ctx.unsupported("INT16 input and output must have zero point 0, have "
                            + ctx.inputZeroPoint(0) + " and " + ctx.outputZeroPoint(0));
                }
                requireQuantized(ctx, wq);
                requireZeroFilterZeroPoints(ctx, wq);
                if (wq.scaleCount() > 1) {
                    requireAxis(ctx, wq, channelAxis, outC);
                }
                return Flavor.QS16_QC8W;
            }
            default -> throw ctx.unsupported("input type " + in + " is not supported");
        }
    }

    private static void requireBias(PrepareContext ctx, TensorType bias, TensorType want) {
        if (bias != null && bias != want) {
            throw ctx.unsupported("bias must be " + want + ", is " + bias);
        }
        if (bias != null && want != TensorType.FLOAT32) {
            Quantization bq = affine(ctx.inputTensor(2));
            if (bq != null) {
                for (long zp : bq.zeroPoint()) {
                    if (zp != 0) {
                        throw ctx.unsupported("bias zero point must be 0, is " + zp);
                    }
                }
            }
        }
    }

    private static void requireQuantized(PrepareContext ctx, Quantization wq) {
        if (wq == null) {
            throw ctx.unsupported("the filter has no quantization parameters");
        }
    }

    private static void requireZeroFilterZeroPoints(PrepareContext ctx, Quantization wq) {
        for (long zp : wq.zeroPoint()) {
            if (zp != 0) {
                throw ctx.unsupported("INT8 filter zero points must be 0 (symmetric weights), has " + zp);
            }
        }
    }

    private static void requireAxis(PrepareContext ctx, Quantization wq, int axis, int outC) {
        if (wq.quantizedDimension() != axis || wq.scaleCount() != outC) {
            throw ctx.unsupported("per-channel filter scales must be on axis " + axis + " with one per output"
                    + " channel (" + outC + "), have " + wq.scaleCount() + " on axis " + wq.quantizedDimension());
        }
    }

    /**
     * {@code PopulateConvolutionQuantizationParams}: per-channel multipliers from double
     * products (a single scale broadcast); for UINT8 the per-tensor multiplier of
     * {@code GetQuantizedConvolutionMultipler} (float product) instead, with its bias-scale
     * check; activation bounds from {@code CalculateActivationRangeQuantized}.
     */
    static Quant quant(PrepareContext ctx, Flavor f, int outC, int activation) {
        if (f == Flavor.F32 || f == Flavor.HYBRID_PER_CHANNEL || f == Flavor.HYBRID_PER_TENSOR) {
            return Quant.NONE;
        }
        Quantization wq = affine(ctx.inputTensor(1));
        float inScale = (float) ctx.inputScale(0);
        float outScale = (float) ctx.outputScale(0);
        int[] multipliers;
        int[] shifts;
        try {
            if (f == Flavor.QU8) {
                float wScale = wq.scalarScale();
                Quantization bq = ctx.input(2) >= 0 ? affine(ctx.inputTensor(2)) : null;
                if (bq != null && !ConvQuantization.biasScaleCompatible(inScale, wScale, bq.scale()[0], outScale)) {
                    throw ctx.unsupported("bias scale " + bq.scale()[0] + " is not input scale * filter scale");
                }
                QuantizedMultiplier m = ConvQuantization.perTensor(inScale, wScale, outScale);
                multipliers = new int[outC];
                shifts = new int[outC];
                Arrays.fill(multipliers, m.multiplier());
                Arrays.fill(shifts, m.shift());
            } else {
                ConvQuantization.PerChannel pc = ConvQuantization.perChannel(inScale, wq.scale(), outScale, outC);
                multipliers = pc.multipliers();
                shifts = pc.shifts();
            }
        } catch (IllegalArgumentException e) {
            throw ctx.unsupported(e.getMessage());
        }
        for (int sh : shifts) {
            if (f == Flavor.QS16_QC8W && (sh < -31 || sh >= 8)) {
                throw ctx.unsupported("output multiplier exponent " + sh + " is outside TFLite's int64 range [-31, 8)");
            }
        }
        ActivationRange.Quantized r = activationRange(ctx, activation);
        int filterOffset = f == Flavor.QU8 ? -Math.toIntExact(wq.scalarZeroPoint()) : 0;
        int outputOffset = f == Flavor.QS16_QC8W ? 0 : ctx.outputZeroPoint(0);
        return new Quant(-ctx.inputZeroPoint(0), filterOffset, outputOffset, multipliers, shifts, r.min(), r.max());
    }

    private static ActivationRange.Quantized activationRange(PrepareContext ctx, int activation) {
        if (activation < 0 || activation > ActivationRange.RELU6) {
            throw ctx.unsupported("fused activation " + activation + " is not supported");
        }
        try {
            return ActivationRange.quantized(activation, ctx.outputTensor(0).type(), ctx.outputScale(0),
                    ctx.outputZeroPoint(0));
        } catch (IllegalArgumentException e) {
            throw ctx.unsupported(e.getMessage());
        }
    }

    /** Float bounds of the fused activation (float and hybrid kernels). */
    static float[] floatRange(PrepareContext ctx, int activation) {
        if (activation < 0 || activation > ActivationRange.RELU6) {
            throw ctx.unsupported("fused activation " + activation + " is not supported");
        }
        ActivationRange.FloatBounds fb = ActivationRange.floatRange(activation);
        return new float[] {fb.min(), fb.max()};
    }

    /** Requests the run-time quantization scratch of a hybrid node; null for other flavors. */
    static HybridScratch scratch(PrepareContext ctx, Flavor f, int[] inShape) {
        if (f != Flavor.HYBRID_PER_CHANNEL && f != Flavor.HYBRID_PER_TENSOR) {
            return null;
        }
        return HybridScratch.request(ctx, OpSupport.product(inShape), inShape[0], 0);
    }

    /** The filter scales of a hybrid node, else null. */
    static float[] filterScales(PrepareContext ctx, Flavor f) {
        if (f != Flavor.HYBRID_PER_CHANNEL && f != Flavor.HYBRID_PER_TENSOR) {
            return null;
        }
        return affine(ctx.inputTensor(1)).scale();
    }

    /** {@code p} with another kernel. */
    static dev.whittle.runtime.kernels.reference.ConvParams withKernel(
            dev.whittle.runtime.kernels.reference.ConvParams p,
            dev.whittle.runtime.Kernel<dev.whittle.runtime.kernels.reference.ConvParams> k) {
        return new dev.whittle.runtime.kernels.reference.ConvParams(k, p.input(), p.filter(), p.bias(), p.output(),
                p.batches(), p.inH(), p.inW(), p.inC(), p.outH(), p.outW(), p.outC(), p.kh(), p.kw(), p.filterInC(),
                p.strideH(), p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW(), p.inputOffset(), p.filterOffset(),
                p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(), p.actMax(), p.floatMin(), p.floatMax(),
                p.filterScales(), p.scratch());
    }

    /** {@code p} with another kernel. */
    static dev.whittle.runtime.kernels.reference.DepthwiseConvParams withKernel(
            dev.whittle.runtime.kernels.reference.DepthwiseConvParams p,
            dev.whittle.runtime.Kernel<dev.whittle.runtime.kernels.reference.DepthwiseConvParams> k) {
        return new dev.whittle.runtime.kernels.reference.DepthwiseConvParams(k, p.input(), p.filter(), p.bias(),
                p.output(), p.batches(), p.inH(), p.inW(), p.inC(), p.multiplier(), p.outH(), p.outW(), p.kh(), p.kw(),
                p.strideH(), p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW(), p.inputOffset(), p.filterOffset(),
                p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(), p.actMax(), p.floatMin(), p.floatMax(),
                p.filterScales(), p.scratch());
    }
}
