package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.PackedWeights;
import dev.whittle.runtime.kernels.WorkerScratch;
import java.nio.ByteBuffer;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

/**
 * DEPTHWISE_CONV_2D: filter {@code [1, kh, kw, inC * multiplier]}, output channel
 * {@code ic * multiplier + m} reads input channel {@code ic}; stride, dilation, padding, fused
 * activation. Types as TFLite 2.20 runs them: float32; int8 with int8 weights per tensor or
 * per channel on axis 3 and int32 bias; uint8 with asymmetric per-tensor uint8 weights;
 * int16 (zero point 0) with int8 weights and int64 bias; hybrid float32 with int8 weights
 * that have one scale per output channel (TFLite's hybrid depthwise kernel always indexes the
 * scales by channel, so a per-tensor scale is refused).
 */
public final class DepthwiseConv2D implements Op<DepthwiseConvParams> {

    @Override
    public DepthwiseConvParams prepare(PrepareContext ctx) {
        ctx.requireArity(2, 3, 1);
        int[] in = ctx.requireRank(0, 4);
        int[] w = ctx.requireRank(1, 4);
        if (w[0] != 1 || in[3] == 0 || w[3] % in[3] != 0) {
            throw ctx.unsupported("filter must be [1, kh, kw, inC * multiplier]");
        }
        BuiltinOptions o = ctx.options();
        int multiplier = w[3] / in[3];
        if (ctx.input(2) >= 0 && ctx.inputTensor(2).elementCount() != w[3]) {
            throw ctx.unsupported("bias must have " + w[3] + " elements");
        }
        ConvSupport.Flavor flavor = ConvSupport.flavor(ctx, 3, w[3]);
        int activation = o.getInt("fused_activation_function");
        Kernel<DepthwiseConvParams> kernel = switch (flavor) {
            case F32 -> DepthwiseConvKernels.F32;
            case QS8 -> DepthwiseConvKernels.QS8;
            case QS8_QC8W -> DepthwiseConvKernels.QS8_QC8W;
            case QU8 -> DepthwiseConvKernels.QU8;
            case QS16_QC8W -> {
                TensorType bias = ctx.input(2) >= 0 ? ctx.inputTensor(2).type() : TensorType.INT64;
                if (bias != TensorType.INT64) {
                    throw ctx.unsupported("INT16 depthwise convolution needs an INT64 bias, has " + bias);
                }
                // TFLite's 16x8 depthwise kernel takes the multiplier from the options, the
                // others compute it from the shapes; they must agree.
                if (o.getInt("depth_multiplier") != multiplier) {
                    throw ctx.unsupported("depth_multiplier option " + o.getInt("depth_multiplier")
                            + " differs from the filter's " + multiplier);
                }
                yield DepthwiseConvKernels.QS16_QC8W;
            }
            case HYBRID_PER_TENSOR, HYBRID_PER_CHANNEL -> {
                Quantization wq = ConvSupport.affine(ctx.inputTensor(1));
                if (wq.scaleCount() != w[3]) {
                    throw ctx.unsupported("hybrid depthwise convolution needs one filter scale per output channel"
                            + " (" + w[3] + ") on axis 3, has " + wq.scaleCount()
                            + " (TFLite indexes the scales by output channel)");
                }
                yield DepthwiseConvKernels.QD8_F32_QC8W;
            }
        };
        ConvSupport.Quant q = ConvSupport.quant(ctx, flavor, w[3], activation);
        float[] fr = q == ConvSupport.Quant.NONE ? ConvSupport.floatRange(ctx, activation) : new float[] {0f, 0f};
        Window g = Window.of(ctx, o, in[1], in[2], w[1], w[2], true);
        ctx.setOutputShape(0, new int[] {in[0], g.outH(), g.outW(), w[3]});
        DepthwiseConvParams reference = new DepthwiseConvParams(kernel, ctx.input(0), ctx.input(1), ctx.input(2), ctx.output(0), in[0], in[1],
                in[2], in[3], multiplier, g.outH(), g.outW(), w[1], w[2], g.strideH(), g.strideW(), g.dilH(), g.dilW(),
                g.padH(), g.padW(), q.inputOffset(), q.filterOffset(), q.outputOffset(), q.multipliers(), q.shifts(),
                q.actMin(), q.actMax(), fr[0], fr[1], ConvSupport.filterScales(ctx, flavor),
                ConvSupport.scratch(ctx, flavor, in));
        KernelFamily<DepthwiseConvKernelFactory> family = !ctx.isConstant(1) ? null : switch (flavor) {
            case F32 -> KernelRegistry.F32_DWCONV2D;
            case QS8 -> KernelRegistry.QS8_DWCONV2D;
            case QS8_QC8W -> KernelRegistry.QS8_QC8W_DWCONV2D;
            case QU8 -> KernelRegistry.QU8_DWCONV2D;
            case QS16_QC8W -> KernelRegistry.QS16_QC8W_DWCONV2D;
            case HYBRID_PER_TENSOR, HYBRID_PER_CHANNEL -> null;
        };
        if (family == null || (reference.bias() >= 0 && !ctx.isConstant(2))) {
            return reference;
        }
        ByteBuffer filter = ctx.constantData(1);
        ByteBuffer bias = reference.bias() >= 0 ? ctx.constantData(2) : null;
        Kernel<DepthwiseConvParams> fast = KernelRegistry.fastestOr(family, f -> f.create(reference, filter, bias),
                kernel);
        if (fast instanceof WorkerScratch ws) {
            ctx.requestWorkerScratch(ws.workerScratchBytes());
        }
        ctx.describeKernel("", fast instanceof PackedWeights pw ? pw.packedWeightBytes() : filter.capacity());
        return fast == kernel ? reference : ConvSupport.withKernel(reference, fast);
    }

    @Override
    public void eval(DepthwiseConvParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
