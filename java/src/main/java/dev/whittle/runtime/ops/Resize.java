package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import dev.whittle.runtime.kernels.reference.ResizeKernels;

/**
 * What RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR prepare: a rank-4 input, the output size
 * from the constant INT32 {@code [2]} second input (height, width, both positive), the
 * align_corners and half_pixel_centers flags (not both, as TFLite requires), and the kernel
 * for float32, int8, uint8 or int16. Quantized tensors must share scale and zero point: the
 * kernels interpolate raw values.
 */
record Resize(ResizeKernels.Params params, Kernel<ResizeKernels.Params> kernel) {

    static Resize prepare(PrepareContext ctx, boolean bilinear) {
        ctx.requireArity(2, 2, 1);
        TensorType type = ctx.inputTensor(0).type();
        Kernel<ResizeKernels.Params> kernel = switch (type) {
            case FLOAT32 -> bilinear ? ResizeKernels.F32_BILINEAR : ResizeKernels.F32_NEAREST;
            case INT8 -> bilinear ? ResizeKernels.QS8_BILINEAR : ResizeKernels.QS8_NEAREST;
            case UINT8 -> bilinear ? ResizeKernels.QU8_BILINEAR : ResizeKernels.QU8_NEAREST;
            case INT16 -> bilinear ? ResizeKernels.QS16_BILINEAR : ResizeKernels.QS16_NEAREST;
            default -> throw ctx.unsupported("input type " + type + " is not one of FLOAT32, INT8, UINT8, INT16");
        };
        if (ctx.outputTensor(0).type() != type) {
            throw ctx.unsupported("output 0 must be " + type);
        }
        int[] in = ctx.requireRank(0, 4);
        if (ctx.inputTensor(1).type() != TensorType.INT32 || ctx.inputShape(1).length != 1
                || ctx.inputShape(1)[0] != 2) {
            throw ctx.unsupported("size (input 1) must be INT32 of shape [2]");
        }
        int[] size = ctx.constantInts(1);
        if (size[0] <= 0 || size[1] <= 0) {
            throw ctx.unsupported("output size " + size[0] + "x" + size[1] + " must be positive");
        }
        BuiltinOptions o = ctx.options();
        boolean align = o != null && o.getBool("align_corners");
        boolean half = o != null && o.getBool("half_pixel_centers");
        if (align && half) {
            throw ctx.unsupported("align_corners and half_pixel_centers are both set");
        }
        if (type != TensorType.FLOAT32) {
            QuantizedOps.requireSameQuantization(ctx, 0, 0);
        }
        ctx.setOutputShape(0, new int[] {in[0], size[0], size[1], in[3]});
        ResizeKernels.Params params = new ResizeKernels.Params(type, ctx.input(0), ctx.output(0), in[0], in[1], in[2],
                in[3], size[0], size[1], align, half);
        if (bilinear) {
            kernel = KernelRegistry.fastestOr(ElementwiseFamilies.RESIZE_BILINEAR, f -> f.create(params), kernel);
        }
        return new Resize(params, kernel);
    }
}
