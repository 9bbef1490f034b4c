package dev.whittle.runtime.ops;

import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import dev.whittle.runtime.kernels.reference.DataMovementKernels.PadParams;
import dev.whittle.runtime.kernels.reference.DataMovementKernels;

/**
 * PAD and PADV2 of float32, int8, uint8, int16, int32 or int64 tensors of rank 1 to 5, the
 * paddings from a constant INT32 or INT64 {@code [rank, 2]} input. The pad value, as TFLite
 * picks it: PADV2's one-element third input (for a quantized tensor it must be quantized as
 * the output); else the output zero point for uint8 and for quantized int8/int16; else 0.
 * Quantized input and output must share scale and zero point (the kernel copies raw values).
 */
public final class Pad implements Op<Pad.Prepared> {
    record Prepared(PadParams params, Kernel<PadParams> kernel) {
    }

    @Override
    public Prepared prepare(PrepareContext ctx) {
        ctx.requireArity(2, 3, 1);
        TensorType type = ctx.inputTensor(0).type();
        switch (type) {
            case FLOAT32, INT8, UINT8, INT16, INT32, INT64 -> {
            }
            default -> throw ctx.unsupported("type " + type + " is not one of FLOAT32, INT8, UINT8, INT16, INT32, INT64");
        }
        ctx.requireTypes(type, 0, 2);
        int[] in = ctx.inputShape(0);
        if (in.length < 1 || in.length > 5) {
            throw ctx.unsupported("rank " + in.length + " is not in 1..5");
        }
        TensorType padType = ctx.inputTensor(1).type();
        if (padType != TensorType.INT32 && padType != TensorType.INT64) {
            throw ctx.unsupported("paddings must be INT32 or INT64");
        }
        int[] pads;
        try {
            pads = ctx.constantInts(1);
        } catch (ArithmeticException e) {
            throw ctx.unsupported("an INT64 padding does not fit an int32");
        }
        int[] padShape = ctx.inputShape(1);
        if (padShape.length != 2 || padShape[0] != in.length || padShape[1] != 2) {
            throw ctx.unsupported("paddings must be [" + in.length + ", 2]");
        }
        int[] out = new int[in.length];
        int[] before = new int[in.length];
        for (int d = 0; d < in.length; d++) {
            if (pads[2 * d] < 0 || pads[2 * d + 1] < 0) {
                throw ctx.unsupported("negative padding");
            }
            before[d] = pads[2 * d];
            out[d] = Math.addExact(in[d], Math.addExact(pads[2 * d], pads[2 * d + 1]));
        }
        boolean quantized = ctx.inputTensor(0).quantization() != null
                && ctx.inputTensor(0).quantization().scaleCount() > 0;
        boolean usesZeroPoint = type == TensorType.UINT8 || (quantized && QuantizedOps.isQuantizedType(type));
        int valueTensor = -1;
        long value = 0;
        if (usesZeroPoint && quantized) {
            QuantizedOps.requireSameQuantization(ctx, 0, 0);
        }
        if (ctx.input(2) >= 0) {
            if (ctx.inputTensor(2).elementCount() != 1) {
                throw ctx.unsupported("the pad value (input 2) must have one element");
            }
            if (usesZeroPoint && quantized) {
                Quantization qv = ctx.inputTensor(2).quantization();
                if (qv == null || qv.scaleCount() != 1 || (float) ctx.inputScale(2) != (float) ctx.outputScale(0)
                        || ctx.inputZeroPoint(2) != ctx.outputZeroPoint(0)) {
                    throw ctx.unsupported("the pad value (input 2) must be quantized as the output, as TFLite requires");
                }
            }
            valueTensor = ctx.input(2);
        } else if (usesZeroPoint) {
            value = quantized ? ctx.outputZeroPoint(0) : 0;
        }
        ctx.setOutputShape(0, out);
        PadParams params = new PadParams(type, ctx.input(0), ctx.output(0), in, out, before, OpSupport.product(out),
                valueTensor, value);
        return new Prepared(params, KernelRegistry.fastestOr(ElementwiseFamilies.PAD, f -> f.create(params),
                DataMovementKernels.padFor(type)));
    }

    @Override
    public void eval(Prepared p, ExecutionState s) {
        p.kernel().run(p.params(), s);
    }
}
