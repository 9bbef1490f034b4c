package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import dev.whittle.runtime.kernels.reference.Pool2DKernels;
import dev.whittle.runtime.quant.ActivationRange;
import java.util.function.Function;


/**
 * What both 2-D pools prepare from {@code Pool2DOptions}: the window geometry, the activation
 * bounds and the kernel for the tensor type (float32, int8, uint8, int16). Quantized pools
 * need the input and output quantization to be equal: TFLite's kernels move raw values and
 * only assert the equality in debug builds, so a model that breaks it is refused here
 * instead of being computed in the wrong scale.
 */
record Pool2D(Pool2DKernels.Params params, Kernel<Pool2DKernels.Params> kernel) {

    static Pool2D prepare(PrepareContext ctx, Function<TensorType, Kernel<Pool2DKernels.Params>> kernels) {
        ctx.requireArity(1, 1, 1);
        TensorType type = ctx.inputTensor(0).type();
        Kernel<Pool2DKernels.Params> kernel = kernels.apply(type);
        if (kernel == null) {
            throw ctx.unsupported("input type " + type + " is not one of FLOAT32, INT8, UINT8, INT16");
        }
        ctx.requireAllTypes(type);
        int[] in = ctx.requireRank(0, 4);
        BuiltinOptions o = ctx.options();
        int fh = o.getInt("filter_height");
        int fw = o.getInt("filter_width");
        int act = o.getInt("fused_activation_function");
        float[] floatRange = OpSupport.activationRange(ctx, act);
        int qMin = 0;
        int qMax = 0;
        if (type != TensorType.FLOAT32) {
            QuantizedOps.requireSameQuantization(ctx, 0, 0);
            ActivationRange.Quantized r = ActivationRange.quantized(act, type, ctx.outputScale(0),
                    ctx.outputZeroPoint(0));
            qMin = r.min();
            qMax = r.max();
        }
        Window g = Window.of(ctx, o, in[1], in[2], fh, fw, false);
        ctx.setOutputShape(0, new int[] {in[0], g.outH(), g.outW(), in[3]});
        Pool2DKernels.Params params = new Pool2DKernels.Params(type, ctx.input(0), ctx.output(0), in[0], in[1], in[2],
                in[3], g.outH(), g.outW(), fh, fw, g.strideH(), g.strideW(), g.padH(), g.padW(), floatRange[0],
                floatRange[1], qMin, qMax);
        if (kernel == Pool2DKernels.averageFor(type)) {
            kernel = KernelRegistry.fastestOr(ElementwiseFamilies.AVERAGE_POOL2D, f -> f.create(params), kernel);
        } else if (kernel == Pool2DKernels.maxFor(type)) {
            kernel = KernelRegistry.fastestOr(ElementwiseFamilies.MAX_POOL2D, f -> f.create(params), kernel);
        }
        return new Pool2D(params, kernel);
    }
}
