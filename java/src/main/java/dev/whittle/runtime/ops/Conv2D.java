package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import java.nio.ByteBuffer;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.ConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.PackedWeights;
import dev.whittle.runtime.kernels.WeightKernels;
import dev.whittle.runtime.kernels.WorkerScratch;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;

/**
 * CONV_2D: NHWC input, OHWI filter {@code [outC, kh, kw, inC / groups]}, optional bias,
 * stride, dilation, SAME/VALID padding, fused activation, grouped convolution (TFLite runs
 * groups on its reference kernels for every type, so do we). Types, as TFLite 2.20 runs them:
 * <ul>
 * <li>float32 ({@code f32_conv2d__reference});</li>
 * <li>int8 activations with int8 weights, per tensor or per channel on axis 0, int32 bias
 *     ({@code qs8_conv2d__reference}, {@code qs8_qc8w_conv2d__reference});</li>
 * <li>uint8 activations with asymmetric per-tensor uint8 weights, int32 bias
 *     ({@code qu8_conv2d__reference});</li>
 * <li>int16 activations (zero point 0) with int8 weights and int64 bias
 *     ({@code qs16_qc8w_conv2d__reference});</li>
 * <li>hybrid: float32 activations with int8 weights ({@code qd8_f32_qs8w_conv2d__reference}
 *     with symmetric run-time input quantization when all filter scales are equal,
 *     {@code qd8_f32_qc8w_conv2d__reference} with asymmetric quantization otherwise and for
 *     grouped hybrid convolutions).</li>
 * </ul>
 * Everything else is refused with a message naming what.
 */
public final class Conv2D implements Op<ConvParams> {
    /** {@code TensorType.INT32} in the schema, the value of {@code quantized_bias_type}. */
    private static final int SCHEMA_INT32 = 2;
    private static final int SCHEMA_INT64 = 4;

    @Override
    public ConvParams prepare(PrepareContext ctx) {
        ctx.requireArity(2, 3, 1);
        int[] in = ctx.requireRank(0, 4);
        int[] w = ctx.requireRank(1, 4);
        if (w[3] == 0 || in[3] % w[3] != 0) {
            throw ctx.unsupported("input channels " + in[3] + " are not a multiple of the filter's " + w[3]);
        }
        int groups = in[3] / w[3];
        if (w[0] % groups != 0) {
            throw ctx.unsupported(w[0] + " output channels do not divide into " + groups + " groups");
        }
        if (ctx.input(2) >= 0 && ctx.inputTensor(2).elementCount() != w[0]) {
            throw ctx.unsupported("bias must have " + w[0] + " elements");
        }
        ConvSupport.Flavor flavor = ConvSupport.flavor(ctx, 0, w[0]);
        BuiltinOptions o = ctx.options();
        int activation = o.getInt("fused_activation_function");
        Kernel<ConvParams> kernel = switch (flavor) {
            case F32 -> ConvKernels.F32;
            case QS8 -> groups == 1 ? ConvKernels.QS8 : ConvKernels.QS8_QC8W_GROUPED;
            case QS8_QC8W -> groups == 1 ? ConvKernels.QS8_QC8W : ConvKernels.QS8_QC8W_GROUPED;
            case QU8 -> ConvKernels.QU8;
            case QS16_QC8W -> int16Kernel(ctx, o);
            case HYBRID_PER_TENSOR -> {
                if (groups != 1) {
                    // TFLite sends grouped hybrid convolutions to its per-channel kernel, which
                    // then reads one filter scale per output channel and an input offset
                    // buffer it only allocates for differing scales.
                    throw ctx.unsupported("grouped hybrid convolution needs per-channel filter scales that differ"
                            + " (TFLite's grouped hybrid path reads one scale per output channel)");
                }
                yield ConvKernels.QD8_F32_QS8W;
            }
            case HYBRID_PER_CHANNEL -> ConvKernels.QD8_F32_QC8W;
        };
        ConvSupport.Quant q = ConvSupport.quant(ctx, flavor, w[0], activation);
        float[] fr = q == ConvSupport.Quant.NONE ? ConvSupport.floatRange(ctx, activation) : new float[] {0f, 0f};
        Window g = Window.of(ctx, o, in[1], in[2], w[1], w[2], true);
        ctx.setOutputShape(0, new int[] {in[0], g.outH(), g.outW(), w[0]});
        ConvParams reference = new ConvParams(kernel, ctx.input(0), ctx.input(1), ctx.input(2), ctx.output(0), in[0], in[1], in[2],
                in[3], g.outH(), g.outW(), w[0], w[1], w[2], w[3], g.strideH(), g.strideW(), g.dilH(), g.dilW(),
                g.padH(), g.padW(), q.inputOffset(), q.filterOffset(), q.outputOffset(), q.multipliers(), q.shifts(),
                q.actMin(), q.actMax(), fr[0], fr[1], ConvSupport.filterScales(ctx, flavor),
                ConvSupport.scratch(ctx, flavor, in));
        KernelFamily<ConvKernelFactory> family = groups != 1 || !ctx.isConstant(1) ? null : switch (flavor) {
            case F32 -> KernelRegistry.F32_CONV2D;
            case QS8 -> KernelRegistry.QS8_CONV2D;
            case QS8_QC8W -> KernelRegistry.QS8_QC8W_CONV2D;
            case QU8 -> KernelRegistry.QU8_CONV2D;
            case QS16_QC8W -> KernelRegistry.QS16_QC8W_CONV2D;
            case HYBRID_PER_TENSOR, HYBRID_PER_CHANNEL -> null;
        };
        if (family == null || (reference.bias() >= 0 && !ctx.isConstant(2))) {
            return reference;
        }
        ByteBuffer filter = ctx.constantData(1);
        ByteBuffer bias = reference.bias() >= 0 ? ctx.constantData(2) : null;
        WeightKernels.Choice<Kernel<ConvParams>> format = WeightKernels.conv(family, reference, filter, bias);
        Kernel<ConvParams> fast = format.kernel() != null ? format.kernel()
                : KernelRegistry.fastestOr(family, f -> f.create(reference, filter, bias), kernel);
        if (fast instanceof WorkerScratch ws) {
            ctx.requestWorkerScratch(ws.workerScratchBytes());
        }
        ctx.describeKernel(format.why(), fast instanceof PackedWeights pw ? pw.packedWeightBytes() : filter.capacity());
        return fast == kernel ? reference : ConvSupport.withKernel(reference, fast);
    }

    /**
     * 16x8: TFLite reads the bias as {@code quantized_bias_type} says (INT64 unless the option
     * says INT32) and refuses a bias of the other type; an INT32 bias goes to its optimized
     * kernel, which is not reproduced here.
     */
    private static Kernel<ConvParams> int16Kernel(PrepareContext ctx, BuiltinOptions o) {
        int biasOption = o.isPresent("quantized_bias_type") ? o.getInt("quantized_bias_type") : 0;
        TensorType bias = ctx.input(2) >= 0 ? ctx.inputTensor(2).type() : TensorType.INT64;
        if (biasOption != 0 && biasOption != SCHEMA_INT32 && biasOption != SCHEMA_INT64) {
            throw ctx.unsupported("quantized_bias_type " + biasOption + " is neither INT32 nor INT64");
        }
        if (bias == TensorType.INT64 && biasOption != SCHEMA_INT32) {
            return ConvKernels.QS16_QC8W;
        }
        if (bias == TensorType.INT32 && biasOption != SCHEMA_INT32) {
            throw ctx.unsupported("INT16 convolution with an INT32 bias needs quantized_bias_type INT32"
                    + " (without it TFLite reads the bias as INT64)");
        }
        throw ctx.unsupported("INT16 convolution with bias " + bias + " and quantized_bias_type " + biasOption
                + " is not supported (only an INT64 bias is)");
    }

    @Override
    public void eval(ConvParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
