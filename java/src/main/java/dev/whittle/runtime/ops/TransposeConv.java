package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.TransposeConvReference;
import dev.whittle.runtime.kernels.reference.TransposeConvReference.Params;
import dev.whittle.runtime.quant.ActivationRange;
import dev.whittle.runtime.quant.QuantizedMultiplier;

import java.util.Arrays;

/**
 * TRANSPOSE_CONV as TFLite 2.20's {@code transpose_conv.cc} runs it: inputs
 * {@code (output_shape, weights [outC, kh, kw, inC] (OHWI), input NHWC, optional bias)},
 * options {@code padding}, {@code stride_h/w}, {@code fused_activation_function} (schema
 * version 4 on) and {@code quantized_bias_type} (version 5 on).
 *
 * <p>The output shape is the constant INT32 {@code output_shape} (a non-constant one is
 * refused: the arena is planned at compile time). The padding is the one a forward
 * convolution over the output would use ({@code ComputePaddingHeightWidth} with the output's
 * height and width), and the input's spatial size must be that convolution's output size;
 * TFLite does not check it, and its optimized col2im reads out of bounds when it differs.
 *
 * <p>Types and kernels: FLOAT32; INT8 with per-channel (or per-tensor) symmetric INT8 weights
 * and INT32 bias; UINT8 per tensor; INT16 (zero points 0) with INT8 weights and an INT64 bias
 * (or none), or an INT32 bias when {@code quantized_bias_type} says INT32 (TFLite reads an
 * INT32 bias as INT64 otherwise, so that is refused). Hybrid (FLOAT32 input, INT8 weights) is
 * refused. The integer kernels accumulate in a scratch area of the context's arena the size of the
 * output (int32, or int64 for the 16x8 int64 kernel).
 */
public final class TransposeConv implements Op<TransposeConv.Prepared> {

    record Prepared(Kernel<Params> kernel, Params params) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(3, 4, 1);
        if (ctx.inputTensor(0).type() != TensorType.INT32) {
            throw ctx.unsupported("output_shape must be INT32, is " + ctx.inputTensor(0).type());
        }
        if (!ctx.isConstant(0)) {
            throw ctx.unsupported("output_shape must be a constant (a computed output shape is not supported)");
        }
        int[] outShape = ctx.constantInts(0);
        if (outShape.length != 4) {
            throw ctx.unsupported("output_shape must have 4 elements, has " + Arrays.toString(outShape));
        }
        int[] w = ctx.requireRank(1, 4);
        int[] in = ctx.requireRank(2, 4);
        if (outShape[0] != in[0] || outShape[3] != w[0] || w[3] != in[3]) {
            throw ctx.unsupported("output_shape " + Arrays.toString(outShape) + ", weights " + Arrays.toString(w)
                    + " and input " + Arrays.toString(in) + " do not agree on batch and channels");
        }
        boolean hasBias = ctx.input(3) >= 0;
        if (hasBias && ctx.inputTensor(3).elementCount() != w[0]) {
            throw ctx.unsupported("bias must have " + w[0] + " elements");
        }
        BuiltinOptions o = ctx.options();
        int padding = o.getInt("padding");
        int sh = o.getInt("stride_h");
        int sw = o.getInt("stride_w");
        int act = o.getInt("fused_activation_function");
        int biasType = o.getInt("quantized_bias_type");
        int convH = OpSupport.outSize(ctx, padding, outShape[1], w[1], sh, 1);
        int convW = OpSupport.outSize(ctx, padding, outShape[2], w[2], sw, 1);
        if (convH != in[1] || convW != in[2]) {
            throw ctx.unsupported("input is " + in[1] + "x" + in[2] + " but a convolution over the "
                    + outShape[1] + "x" + outShape[2] + " output gives " + convH + "x" + convW);
        }
        int padH = OpSupport.padBefore(outShape[1], convH, w[1], sh, 1);
        int padW = OpSupport.padBefore(outShape[2], convW, w[2], sw, 1);
        int outCount = OpSupport.product(outShape);

        TensorType inType = ctx.inputTensor(2).type();
        TensorType wType = ctx.inputTensor(1).type();
        TensorType outType = ctx.outputTensor(0).type();
        TensorType bType = hasBias ? ctx.inputTensor(3).type() : null;
        Prepared p;
        if (inType == TensorType.FLOAT32 && wType == TensorType.FLOAT32) {
            ctx.requireTypes(TensorType.FLOAT32, 1, 2, 3);
            OpSupport.activationRange(ctx, act);
            ActivationRange.FloatBounds range = ActivationRange.floatRange(act);
            p = new Prepared(TransposeConvReference.F32, new Params(ctx.input(2), ctx.input(1), ctx.input(3), false,
                    ctx.output(0), in[0], in[1], in[2], in[3], outShape[1], outShape[2], w[0], w[1], w[2], sh, sw,
                    padH, padW, 0, 0, 0, null, null, 0, 0, range.min(), range.max(), -1));
        } else if (inType == TensorType.FLOAT32) {
            throw ctx.unsupported("hybrid FLOAT32 input with " + wType + " weights is not supported");
        } else {
            p = quantized(ctx, act, biasType, in, w, outShape, sh, sw, padH, padW, outCount, inType, wType, outType,
                    bType);
        }
        ctx.setOutputShape(0, outShape);
        return p;
    }

    private static Prepared quantized(PrepareContext ctx, int act, int biasType, int[] in, int[] w, int[] out,
            int sh, int sw, int padH, int padW, int outCount, TensorType inType, TensorType wType,
            TensorType outType, TensorType bType) {
        boolean u8 = inType == TensorType.UINT8;
        boolean i16 = inType == TensorType.INT16;
        boolean ok = (inType == TensorType.INT8 && wType == TensorType.INT8 && outType == TensorType.INT8)
                || (u8 && wType == TensorType.UINT8 && outType == TensorType.UINT8)
                || (i16 && wType == TensorType.INT8 && outType == TensorType.INT16);
        if (!ok) {
            throw ctx.unsupported("input " + inType + ", weights " + wType + " and output " + outType
                    + " is not a supported combination (FLOAT32, INT8/INT8/INT8, UINT8/UINT8/UINT8,"
                    + " INT16/INT8/INT16)");
        }
        if (bType != null && bType != TensorType.INT32 && !(i16 && bType == TensorType.INT64)) {
            throw ctx.unsupported("bias must be INT32" + (i16 ? " or INT64" : "") + ", is " + bType);
        }
        if (bType != null && !u8) {
            Quantization bq = ctx.inputTensor(3).quantization();
            if (bq != null && bq.zeroPoint() != null) {
                for (long zp : bq.zeroPoint()) {
                    if (zp != 0) {
                        throw ctx.unsupported("bias zero point must be 0, is " + zp);
                    }
                }
            }
        }
        boolean perChannel = WeightQuantization.perChannel(ctx, 1);
        if (perChannel && u8) {
            throw ctx.unsupported("UINT8 weights must be quantized per tensor");
        }
        // TFLite's int8 and int16 kernels ignore the weights' zero point; it must be 0.
        float[] scales = WeightQuantization.scales(ctx, 1, w[0], 0, !u8);
        int inputZp = ctx.inputZeroPoint(2);
        int outputZp = ctx.outputZeroPoint(0);
        boolean use64 = false;
        if (i16) {
            if (inputZp != 0 || outputZp != 0) {
                throw ctx.unsupported("INT16 input and output must have zero point 0");
            }
            if (biasType != WeightQuantization.BIAS_TYPE_UNSET && biasType != WeightQuantization.BIAS_TYPE_INT32
                    && biasType != WeightQuantization.BIAS_TYPE_INT64) {
                throw ctx.unsupported("quantized_bias_type " + biasType + " is neither INT32 nor INT64");
            }
            TensorType declared = biasType == WeightQuantization.BIAS_TYPE_INT32 ? TensorType.INT32 : TensorType.INT64;
            if (bType != null && bType != declared) {
                throw ctx.unsupported("bias is " + bType + " but quantized_bias_type "
                        + (biasType == WeightQuantization.BIAS_TYPE_UNSET ? "is unset, so TFLite reads it as INT64"
                                : "says " + declared));
            }
            use64 = biasType != WeightQuantization.BIAS_TYPE_INT32;
        }
        ActivationRange.Quantized range = WeightQuantization.activation(ctx, act, 0);
        QuantizedMultiplier[] m;
        if (u8) {
            // PopulateConvolutionQuantizationParams' legacy uint8 path: GetQuantizedConvolutionMultipler.
            m = new QuantizedMultiplier[w[0]];
            Arrays.fill(m, WeightQuantization.perTensorMultiplier(ctx, scales[0], 2, 3, 0));
        } else {
            m = WeightQuantization.perChannelMultipliers(ctx, scales, 2, 0);
        }
        int weightsOffset = u8 ? (int) -ctx.inputTensor(1).quantization().zeroPoint()[0] : 0;
        Kernel<Params> kernel = u8 ? TransposeConvReference.QU8
                : !i16 ? TransposeConvReference.QS8_QC8W
                : use64 ? TransposeConvReference.QS16_QC8W : TransposeConvReference.QS16_QC8W_ACC32;
        int accumulators = ctx.requestScratch((use64 ? 8L : 4L) * outCount);
        Params params = new Params(ctx.input(2), ctx.input(1), ctx.input(3), bType == TensorType.INT64, ctx.output(0),
                in[0], in[1], in[2], in[3], out[1], out[2], w[0], w[1], w[2], sh, sw, padH, padW, -inputZp,
                weightsOffset, outputZp, WeightQuantization.multipliers(m), WeightQuantization.shifts(m), range.min(),
                range.max(), 0f, 0f, accumulators);
        return new Prepared(kernel, params);
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
