package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import dev.whittle.runtime.kernels.reference.ReduceKernels;
import dev.whittle.runtime.quant.QuantizedMultiplier;
import java.util.ArrayList;
import java.util.List;


/**
 * What MEAN and SUM prepare: the reduced axes from the constant INT32 second input (negative
 * counts from the end, repeats ignored, as TFLite resolves them), the output shape with or
 * without {@code keep_dims}, and the kernel with its rescaling (see {@link ReduceKernels}).
 */
record Reduce(ReduceKernels.Params params, Kernel<ReduceKernels.Params> kernel) {
    /** Takes the fastest allowed kernel of the MEAN/SUM family for the reference kernel chosen. */
    Reduce {
        Kernel<ReduceKernels.Params> reference = kernel;
        kernel = KernelRegistry.fastestOr(ElementwiseFamilies.REDUCE, f -> f.create(params, reference), reference);
    }

    static Reduce prepare(PrepareContext ctx, boolean mean) {
        ctx.requireArity(2, 2, 1);
        TensorType type = ctx.inputTensor(0).type();
        if (type != TensorType.FLOAT32 && !QuantizedOps.isQuantizedType(type)) {
            throw ctx.unsupported("input type " + type + " is not one of FLOAT32, INT8, UINT8, INT16");
        }
        if (ctx.outputTensor(0).type() != type) {
            throw ctx.unsupported("output 0 must be " + type);
        }
        if (ctx.inputTensor(1).type() != TensorType.INT32) {
            throw ctx.unsupported("axes (input 1) must be INT32, as TFLite requires");
        }
        int[] in = ctx.inputShape(0);
        if (in.length == 0) {
            throw ctx.unsupported("a scalar input is not supported");
        }
        int[] axes = ctx.constantInts(1);
        boolean[] reduce = new boolean[in.length];
        for (int a : axes) {
            int k = a < 0 ? a + in.length : a;
            if (k < 0 || k >= in.length) {
                throw ctx.unsupported("axis " + a + " out of range");
            }
            reduce[k] = true;
        }
        boolean keep = ctx.options() != null && ctx.options().getBool("keep_dims");
        List<Integer> out = new ArrayList<>();
        List<Integer> keptSizes = new ArrayList<>();
        List<Integer> keptStrides = new ArrayList<>();
        List<Integer> redSizes = new ArrayList<>();
        List<Integer> redStrides = new ArrayList<>();
        int[] strides = OpSupport.strides(in);
        int count = 1;
        for (int d = 0; d < in.length; d++) {
            if (reduce[d]) {
                count *= in[d];
                redSizes.add(in[d]);
                redStrides.add(strides[d]);
                if (keep) {
                    out.add(1);
                }
            } else {
                out.add(in[d]);
                keptSizes.add(in[d]);
                keptStrides.add(strides[d]);
            }
        }
        int[] outShape = out.stream().mapToInt(Integer::intValue).toArray();
        ctx.setOutputShape(0, outShape);
        if (OpSupport.product(in) == 0) {
            throw ctx.unsupported("an empty input is not supported");
        }
        int outCount = OpSupport.product(outShape);
        int[] ks = ints(keptSizes);
        int[] kst = ints(keptStrides);
        int[] rs = ints(redSizes);
        int[] rst = ints(redStrides);
        if (type == TensorType.FLOAT32) {
            return new Reduce(new ReduceKernels.Params(type, ctx.input(0), ctx.output(0), outCount, ks, kst, rs, rst,
                    count, 0, 0, 0, 0, 0, 0f, 0f), mean ? ReduceKernels.F32_MEAN : ReduceKernels.F32_SUM);
        }
        int inZp = ctx.inputZeroPoint(0);
        int outZp = ctx.outputZeroPoint(0);
        float inScale = (float) ctx.inputScale(0);
        float outScale = (float) ctx.outputScale(0);
        if (type == TensorType.INT16 && (inZp != 0 || outZp != 0)) {
            throw ctx.unsupported("INT16 input and output must have zero point 0, as TFLite requires");
        }
        if (!mean) {
            float scale = inScale / outScale;
            float bias = (float) -inZp * scale * (float) count;
            Kernel<ReduceKernels.Params> k = switch (type) {
                case INT8 -> ReduceKernels.QS8_SUM;
                case UINT8 -> ReduceKernels.QU8_SUM;
                default -> ReduceKernels.QS16_SUM;
            };
            return new Reduce(new ReduceKernels.Params(type, ctx.input(0), ctx.output(0), outCount, ks, kst, rs, rst,
                    count, 0, 0, inZp, outZp, 0, scale, bias), k);
        }
        if (type != TensorType.INT16 && axes.length > 4) {
            // TFLite's EvalMean copies the axes into MeanParams' four slots before it picks a
            // path, writing past them for more than four.
            throw ctx.unsupported(axes.length + " axes: TFLite's int8/uint8 MEAN takes at most 4");
        }
        boolean hw = type != TensorType.INT16 && keep && in.length == 4 && axes.length == 2
                && ((axes[0] == 1 && axes[1] == 2) || (axes[0] == 2 && axes[1] == 1));
        if (hw) {
            float elements = (float) (in[1] * in[2]);
            float temp = (float) inZp * inScale / outScale;
            temp = temp > 0 ? temp + 0.5f : temp - 0.5f;
            int bias = outZp - (int) temp;
            float realScale = inScale / (elements * outScale);
            QuantizedMultiplier m = QuantizedMultiplier.of(realScale);
            return new Reduce(new ReduceKernels.Params(type, ctx.input(0), ctx.output(0), outCount, ks, kst, rs, rst,
                    count, m.multiplier(), m.shift(), inZp, outZp, bias, 0f, 0f),
                    type == TensorType.INT8 ? ReduceKernels.QS8_MEAN_HW : ReduceKernels.QU8_MEAN_HW);
        }
        QuantizedMultiplier m = QuantizedMultiplier.of((double) inScale / (double) outScale);
        Kernel<ReduceKernels.Params> k = switch (type) {
            case INT8 -> ReduceKernels.QS8_MEAN;
            case UINT8 -> ReduceKernels.QU8_MEAN;
            default -> ReduceKernels.QS16_MEAN;
        };
        return new Reduce(new ReduceKernels.Params(type, ctx.input(0), ctx.output(0), outCount, ks, kst, rs, rst,
                count, m.multiplier(), m.shift(), inZp, outZp, 0, 0f, 0f), k);
    }

    private static int[] ints(List<Integer> l) {
        return l.stream().mapToInt(Integer::intValue).toArray();
    }
}
