package dev.whittle.runtime.ops;

import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.PreluKernels;
import dev.whittle.runtime.kernels.reference.PreluParams;
import dev.whittle.runtime.quant.QuantizedMultiplier;

import java.util.Arrays;

/**
 * PRELU as TFLite 2.20's {@code PreluPrepare}/{@code PreluEval} run it: inputs
 * {@code (input, alpha)}, output {@code x >= 0 ? x : x * alpha}. Alpha broadcasts to the input
 * (NumPy rules, at most 4 dimensions when it does; TFLite's broadcast kernels are 4-D) and the
 * broadcast shape must be the input's own: TFLite refuses an alpha that would grow it.
 *
 * <p>Types: FLOAT32, INT8 and UINT8, alpha and output of the input's type (TFLite 2.20's
 * {@code PreluPrepare} requires it). INT16 is refused: 2.20's {@code PreluEval} has no int16
 * case (later TFLite versions add one, with an INT8 alpha). Quantized tensors must be per
 * tensor; the
 * two multipliers are {@code QuantizeMultiplier} of TFLite's float expressions
 * {@code inScale / outScale} (identity) and {@code inScale * alphaScale / outScale} (alpha),
 * widened to double.
 */
public final class Prelu implements Op<PreluParams> {
    @Override
    public PreluParams prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        TensorType type = ctx.inputTensor(0).type();
        TensorType alphaType = ctx.inputTensor(1).type();
        if (ctx.outputTensor(0).type() != type) {
            throw ctx.unsupported("output type " + ctx.outputTensor(0).type() + " differs from input type " + type);
        }
        if (type != TensorType.FLOAT32 && type != TensorType.INT8 && type != TensorType.UINT8) {
            throw ctx.unsupported("input type " + type + " is not supported (FLOAT32, INT8 or UINT8; TFLite 2.20"
                    + " has no other PRELU kernel)");
        }
        if (alphaType != type) {
            throw ctx.unsupported("alpha must be " + type + " like the input, is " + alphaType);
        }
        int[] in = ctx.inputShape(0);
        int[] alphaShape = ctx.inputShape(1);
        boolean flat = Arrays.equals(in, alphaShape);
        Broadcast br = Broadcast.prepare(ctx, 4);
        if (!Arrays.equals(br.outShape(), in)) {
            throw ctx.unsupported("alpha " + Arrays.toString(alphaShape) + " broadcasts the input "
                    + Arrays.toString(in) + " to " + Arrays.toString(br.outShape())
                    + "; the output must keep the input's shape");
        }
        int[] alphaStrides = flat ? null : br.bStrides();
        Kernel<PreluParams> kernel = switch (type) {
            case FLOAT32 -> PreluKernels.F32;
            case INT8 -> PreluKernels.QS8;
            default -> PreluKernels.QU8;
        };
        if (type == TensorType.FLOAT32) {
            return new PreluParams(kernel, ctx.input(0), ctx.input(1), ctx.output(0), br.outShape(), alphaStrides,
                    br.count(), 0, 0, 0, 0, 0, 0, 0);
        }
        Quantization aq = ctx.inputTensor(1).quantization();
        if (aq == null || aq.scaleCount() != 1) {
            throw ctx.unsupported("alpha must be quantized per tensor (TFLite reads one alpha scale), has "
                    + (aq == null || aq.scaleCount() == 0 ? "no quantization" : aq.scaleCount() + " scales"));
        }
        float inScale = (float) ctx.inputScale(0);
        float alphaScale = (float) ctx.inputScale(1);
        float outScale = (float) ctx.outputScale(0);
        // TFLite computes both in float (the params are floats), then widens to double.
        QuantizedMultiplier identity = QuantizedActivations.multiplier(ctx, inScale / outScale,
                "input/output scale ratio");
        QuantizedMultiplier slope = QuantizedActivations.multiplier(ctx, inScale * alphaScale / outScale,
                "alpha rescale");
        return new PreluParams(kernel, ctx.input(0), ctx.input(1), ctx.output(0), br.outShape(), alphaStrides,
                br.count(), -ctx.inputZeroPoint(0), -ctx.inputZeroPoint(1), ctx.outputZeroPoint(0),
                identity.multiplier(), identity.shift(), slope.multiplier(), slope.shift());
    }

    @Override
    public void eval(PreluParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
