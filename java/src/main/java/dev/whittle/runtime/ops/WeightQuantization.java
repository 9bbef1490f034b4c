package dev.whittle.runtime.ops;

import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.quant.ActivationRange;
import dev.whittle.runtime.quant.ConvQuantization;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/**
 * The weight-quantization checks and output multipliers that FULLY_CONNECTED and
 * TRANSPOSE_CONV share (the FC/transpose-conv area's helper; CONV_2D keeps its own).
 */
final class WeightQuantization {
    /** The schema's {@code TensorType} codes that {@code quantized_bias_type} may hold. */
    static final int BIAS_TYPE_UNSET = 0;
    static final int BIAS_TYPE_INT32 = 2;
    static final int BIAS_TYPE_INT64 = 4;

    private WeightQuantization() {
    }

    /**
     * The weights' scales, one per output channel (a per-tensor scale repeated).
     *
     * @param channelDim the dimension that per-channel scales must run along
     * @param symmetric whether every zero point must be 0 (TFLite ignores the weights' zero
     *     point on these paths, so a nonzero one would be silently wrong)
     */
    static float[] scales(PrepareContext ctx, int input, int channels, int channelDim, boolean symmetric) {
        Tensor t = ctx.inputTensor(input);
        Quantization q = t.quantization();
        if (q == null || !q.isAffine()) {
            throw ctx.unsupported("weights (" + t.name() + ") have no quantization");
        }
        float[] s = q.scale();
        if (s.length > 1 && (s.length != channels || q.quantizedDimension() != channelDim)) {
            throw ctx.unsupported("weights (" + t.name() + ") have " + s.length + " scales along dimension "
                    + q.quantizedDimension() + "; per-channel weights need " + channels + " along dimension "
                    + channelDim);
        }
        if (symmetric) {
            for (long zp : q.zeroPoint()) {
                if (zp != 0) {
                    throw ctx.unsupported("weights (" + t.name() + ") have zero point " + zp
                            + "; this kernel needs symmetric weights (zero point 0)");
                }
            }
        }
        float[] r = new float[channels];
        for (int c = 0; c < channels; c++) {
            r[c] = s.length > 1 ? s[c] : s[0];
        }
        return r;
    }

    static boolean perChannel(PrepareContext ctx, int input) {
        Quantization q = ctx.inputTensor(input).quantization();
        return q != null && q.scaleCount() > 1;
    }

    /**
     * {@code PopulateConvolutionQuantizationParams}' per-channel multipliers: for each channel
     * {@code (double) in * (double) w[c] / (double) out}.
     */
    static QuantizedMultiplier[] perChannelMultipliers(PrepareContext ctx, float[] weightScales, int input,
            int output) {
        float in = (float) ctx.inputScale(input);
        float out = (float) ctx.outputScale(output);
        ConvQuantization.PerChannel pc = ConvQuantization.perChannel(in, weightScales, out, weightScales.length);
        QuantizedMultiplier[] r = new QuantizedMultiplier[weightScales.length];
        for (int c = 0; c < r.length; c++) {
            r[c] = new QuantizedMultiplier(pc.multipliers()[c], pc.shifts()[c]);
        }
        return r;
    }

    /**
     * {@code GetQuantizedConvolutionMultipler} with its bias check: the bias scale must be
     * within 2% of an output unit of {@code in * w} (TFLite fails the model otherwise); the
     * multiplier is {@code (double) (in * w) / out} with the product in float.
     */
    static QuantizedMultiplier perTensorMultiplier(PrepareContext ctx, float weightScale, int input, int bias,
            int output) {
        float in = (float) ctx.inputScale(input);
        float out = (float) ctx.outputScale(output);
        if (ctx.input(bias) >= 0) {
            Quantization bq = ctx.inputTensor(bias).quantization();
            float biasScale = bq != null && bq.scaleCount() > 0 ? bq.scale()[0] : 0f;
            if (!ConvQuantization.biasScaleCompatible(in, weightScale, biasScale, out)) {
                throw ctx.unsupported("bias scale " + biasScale + " is not input scale * weight scale ("
                        + in * weightScale + "); TFLite refuses it too");
            }
        }
        try {
            return ConvQuantization.perTensor(in, weightScale, out);
        } catch (IllegalArgumentException e) {
            throw ctx.unsupported(e.getMessage());
        }
    }

    /** {@code (double) in * (double) w[c] / (double) out} for each channel, as doubles. */
    static double[] realScales(PrepareContext ctx, float[] weightScales, int input, int output) {
        float in = (float) ctx.inputScale(input);
        float out = (float) ctx.outputScale(output);
        double[] r = new double[weightScales.length];
        for (int c = 0; c < r.length; c++) {
            r[c] = (double) in * (double) weightScales[c] / (double) out;
        }
        return r;
    }

    /** The quantized clamp range of a fused activation (NONE, RELU, RELU_N1_TO_1, RELU6 only). */
    static ActivationRange.Quantized activation(PrepareContext ctx, int code, int output) {
        if (code < 0 || code > 3) {
            throw ctx.unsupported("fused activation " + code + " is not supported (TFLite applies only NONE,"
                    + " RELU, RELU_N1_TO_1 and RELU6 here)");
        }
        try {
            return ActivationRange.quantized(code, ctx.outputTensor(output).type(), ctx.outputScale(output),
                    ctx.outputZeroPoint(output));
        } catch (IllegalArgumentException e) {
            throw ctx.unsupported(e.getMessage());
        }
    }

    static int[] multipliers(QuantizedMultiplier[] m) {
        int[] r = new int[m.length];
        for (int i = 0; i < m.length; i++) {
            r[i] = m[i].multiplier();
        }
        return r;
    }

    static int[] shifts(QuantizedMultiplier[] m) {
        int[] r = new int[m.length];
        for (int i = 0; i < m.length; i++) {
            r[i] = m[i].shift();
        }
        return r;
    }
}
