package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.SoftmaxKernels;
import dev.whittle.runtime.kernels.reference.SoftmaxParams;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/**
 * SOFTMAX over the last axis. float32 as TFLite's reference: subtract the row maximum (so that
 * exp never overflows), scale by beta, exponentiate, divide by the sum. int8 to int8 (output
 * zero point -128 and scale 1/256 within 0.1%, as TFLite enforces) and uint8 to uint8 through
 * TFLite's float lookup table ({@link SoftmaxKernels}). int16 to int16 (zero points 0, output
 * scale 1/32768 within 0.1%, rank at most 4) through TFLite's {@code SoftmaxInt16}: tables of
 * exp and of 1 / (1 + x) with interpolation, built once.
 */
public final class Softmax implements Op<SoftmaxParams> {
    private static final Kernel<SoftmaxParams> F32 = new Kernel<>() {
        @Override
        public String name() {
            return "f32_softmax__reference";
        }

        @Override
        public void run(SoftmaxParams p, ExecutionState s) {
            for (int r = 0; r < p.rows(); r++) {
                int base = r * p.depth();
                float max = Float.NEGATIVE_INFINITY;
                for (int c = 0; c < p.depth(); c++) {
                    max = Math.max(max, s.getFloat(p.input(), base + c));
                }
                float sum = 0f;
                for (int c = 0; c < p.depth(); c++) {
                    sum += (float) Math.exp((s.getFloat(p.input(), base + c) - max) * p.beta());
                }
                for (int c = 0; c < p.depth(); c++) {
                    float e = (float) Math.exp((s.getFloat(p.input(), base + c) - max) * p.beta());
                    s.putFloat(p.output(), base + c, e / sum);
                }
            }
        }
    };

    @Override
    public SoftmaxParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        TensorType type = ctx.inputTensor(0).type();
        if (ctx.outputTensor(0).type() != type) {
            throw ctx.unsupported("input and output must have the same type");
        }
        int[] in = ctx.inputShape(0);
        if (in.length == 0) {
            throw ctx.unsupported("input must have rank at least 1");
        }
        ctx.setOutputShape(0, in);
        int depth = in[in.length - 1];
        int n = OpSupport.product(in);
        int rows = depth == 0 ? 0 : n / depth;
        float beta = ctx.options() == null ? 1f : ctx.options().getFloat("beta");
        return switch (type) {
            case FLOAT32 -> new SoftmaxParams(F32, ctx.input(0), ctx.output(0), rows, depth, type, beta, null, 0, 0, null, null, 0, 0);
            case INT8, UINT8 -> {
                float outScale = (float) ctx.outputScale(0);
                int outZp = ctx.outputZeroPoint(0);
                if (type == TensorType.INT8
                        && (outZp != -128 || Math.abs(outScale - 1.0f / 256) > 0.001f * 1.0f / 256)) {
                    throw ctx.unsupported("int8 output must have zero point -128 and scale 1/256, has " + outZp
                            + " and " + outScale);
                }
                float[] table = SoftmaxKernels.populateTable((float) ctx.inputScale(0), beta);
                yield new SoftmaxParams(type == TensorType.INT8 ? SoftmaxKernels.QS8 : SoftmaxKernels.QU8,
                        ctx.input(0), ctx.output(0), rows, depth, type, beta, table, outScale, outZp, null, null, 0, 0);
            }
            case INT16 -> {
                int inZp = ctx.inputZeroPoint(0);
                int outZp = ctx.outputZeroPoint(0);
                float outScale = (float) ctx.outputScale(0);
                if (inZp != 0 || outZp != 0) {
                    throw ctx.unsupported("int16 zero points must be 0, are " + inZp + " and " + outZp);
                }
                float oneLsb = 1.0f / 32768;
                if (Math.abs(outScale - oneLsb) > 0.001f * oneLsb) {
                    throw ctx.unsupported("int16 output scale must be 1/32768 within 0.1%, is " + outScale);
                }
                if (in.length > 4) {
                    throw ctx.unsupported("int16 input must have rank at most 4, has " + in.length);
                }
                if (depth > 65537) {
                    throw ctx.unsupported("int16 rows longer than 65537 overflow TFLite's int32 sum; depth is " + depth);
                }
                // float * float, then divided by the double 10 / 65535, as TFLite's prepare writes it.
                double rescale = (double) ((float) ctx.inputScale(0) * beta) / (10.0 / 65535.0);
                QuantizedMultiplier m = QuantizedActivations.multiplier(ctx, rescale, "input rescale");
                yield new SoftmaxParams(SoftmaxKernels.QS16, ctx.input(0), ctx.output(0), rows, depth, type, beta, null,
                        outScale, 0, SoftmaxKernels.EXP_LUT, SoftmaxKernels.RECIPROCAL_LUT, m.multiplier(), m.shift());
            }
            default -> throw ctx.unsupported("type " + type + " is not supported");
        };
    }

    @Override
    public void eval(SoftmaxParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
