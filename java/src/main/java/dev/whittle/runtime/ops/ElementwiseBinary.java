package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import dev.whittle.runtime.kernels.reference.BinaryParams;
import dev.whittle.runtime.quant.ActivationRange;

/**
 * Base of the binary element-wise ops: arity and type checks, broadcasting, fused activation
 * bounds; subclasses choose the kernel and compute the quantized rescaling.
 */
abstract class ElementwiseBinary implements Op<BinaryParams> {
    /** TFLite 2.20's ADD/SUB/MUL broadcast kernels ({@code Broadcast*6DSlow}). */
    static final int MAX_BROADCAST_RANK = 6;

    @Override
    public final BinaryParams prepare(PrepareContext ctx) {
        ctx.requireArity(2, 2, 1);
        TensorType type = ctx.inputTensor(0).type();
        if (ctx.inputTensor(1).type() != type || ctx.outputTensor(0).type() != type) {
            throw ctx.unsupported("inputs and output must have the same type");
        }
        Broadcast br = Broadcast.prepare(ctx, maxBroadcastRank());
        int code = ctx.options() == null || !hasActivation() ? 0 : ctx.options().getInt("fused_activation_function");
        float fMin = Float.NEGATIVE_INFINITY;
        float fMax = Float.POSITIVE_INFINITY;
        long iMin = Long.MIN_VALUE;
        long iMax = Long.MAX_VALUE;
        BinaryParams.Quant quant = null;
        Kernel<BinaryParams> kernel;
        switch (type) {
            case FLOAT32 -> {
                float[] r = OpSupport.activationRange(ctx, code);
                fMin = r[0];
                fMax = r[1];
                kernel = kernel(ctx, type);
            }
            case INT32, INT64 -> {
                long lo = type == TensorType.INT32 ? Integer.MIN_VALUE : Long.MIN_VALUE;
                long hi = type == TensorType.INT32 ? Integer.MAX_VALUE : Long.MAX_VALUE;
                // CalculateActivationRange<int32_t/int64_t>; TANH and SIGN_BIT leave the bounds unset there.
                switch (code) {
                    case 0 -> { iMin = lo; iMax = hi; }
                    case 1 -> { iMin = 0; iMax = hi; }
                    case 2 -> { iMin = -1; iMax = 1; }
                    case 3 -> { iMin = 0; iMax = 6; }
                    default -> throw ctx.unsupported("fused activation " + code + " is not supported for " + type);
                }
                kernel = kernel(ctx, type);
            }
            case INT8, UINT8, INT16 -> {
                ActivationRange.Quantized r;
                try {
                    r = ActivationRange.quantized(code, type, ctx.outputScale(0), ctx.outputZeroPoint(0));
                } catch (IllegalArgumentException e) {
                    throw ctx.unsupported(e.getMessage());
                }
                iMin = r.min();
                iMax = r.max();
                QuantizedChoice c = quantized(ctx, type, Broadcast.needed(ctx));
                quant = c.quant();
                kernel = c.kernel();
            }
            default -> throw ctx.unsupported("type " + type + " is not supported");
        }
        BinaryParams params = new BinaryParams(kernel, ctx.input(0), ctx.input(1), ctx.output(0), br.outShape(),
                br.aStrides(), br.bStrides(), br.count(), fMin, fMax, iMin, iMax, quant);
        if (quant != null || type == TensorType.FLOAT32) {
            Kernel<BinaryParams> fast = KernelRegistry.fastestOr(quant != null ? ElementwiseFamilies.QUANTIZED_BINARY
                    : ElementwiseFamilies.F32_BINARY, f -> f.create(params), kernel);
            if (fast != kernel) {
                return new BinaryParams(fast, ctx.input(0), ctx.input(1), ctx.output(0), br.outShape(),
                        br.aStrides(), br.bStrides(), br.count(), fMin, fMax, iMin, iMax, quant);
            }
        }
        return params;
    }

    @Override
    public final void eval(BinaryParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }

    record QuantizedChoice(Kernel<BinaryParams> kernel, BinaryParams.Quant quant) {
    }

    int maxBroadcastRank() {
        return MAX_BROADCAST_RANK;
    }

    boolean hasActivation() {
        return true;
    }

    /** The kernel for FLOAT32, INT32 or INT64; refuses types the op lacks. */
    abstract Kernel<BinaryParams> kernel(PrepareContext ctx, TensorType type);

    /** The kernel and rescaling for INT8, UINT8 or INT16. */
    QuantizedChoice quantized(PrepareContext ctx, TensorType type, boolean broadcast) {
        throw ctx.unsupported("type " + type + " is not supported");
    }

    /** A per-tensor scale as TFLite keeps it: a float. */
    static double inScale(PrepareContext ctx, int i) {
        return (float) ctx.inputScale(i);
    }

    static double outScale(PrepareContext ctx) {
        return (float) ctx.outputScale(0);
    }

    /**
     * TFLite's {@code CheckedLog2}: {@code log(x) / log(2)} in float, rounded; the scale counts as
     * a power of two when the fraction left is below 1e-3. Returns the rounded log, or null.
     */
    static Integer checkedLog2(double scale) {
        float x = (float) scale;
        float log2 = (float) Math.log(x) * (1.0f / (float) Math.log(2.0f));
        float rounded = dev.whittle.runtime.quant.CppMath.round(log2);
        return Math.abs(log2 - rounded) < 1e-3f ? Integer.valueOf((int) rounded) : null;
    }
}
