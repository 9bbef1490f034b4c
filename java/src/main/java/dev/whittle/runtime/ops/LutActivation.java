package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.elementwise.UnaryLutKernels;
import dev.whittle.runtime.kernels.reference.UnaryKernels;
import dev.whittle.runtime.kernels.reference.UnaryParams;
import java.util.function.DoubleUnaryOperator;


/**
 * Base of LOGISTIC and TANH: float32 through a double-precision function, int8 and uint8
 * through the 256-entry table TFLite's optimized kernels build in prepare
 * ({@code LUTPopulate} with a float transform).
 */
abstract class LutActivation implements Op<UnaryParams> {
    private final String op;
    private final Kernel<UnaryParams> f32;

    LutActivation(String op, DoubleUnaryOperator f) {
        this.op = op;
        this.f32 = UnaryKernels.f32("f32_" + op + "__reference", f);
    }

    @Override
    public final UnaryParams prepare(PrepareContext ctx) {
        ctx.requireArity(1, 1, 1);
        TensorType type = ctx.inputTensor(0).type();
        if (ctx.outputTensor(0).type() != type) {
            throw ctx.unsupported("input and output must have the same type");
        }
        int[] shape = ctx.inputShape(0);
        ctx.setOutputShape(0, shape);
        int n = OpSupport.product(shape);
        return switch (type) {
            case FLOAT32 -> new UnaryParams(f32, ctx.input(0), ctx.output(0), n, type, type, 0, 0, 0, 0, 0, null);
            case INT8, UINT8 -> {
                checkOutput(ctx, type);
                int[] table = UnaryKernels.populateLut(type, (float) ctx.inputScale(0), ctx.inputZeroPoint(0),
                        (float) ctx.outputScale(0), ctx.outputZeroPoint(0), this::transform);
                yield UnaryLutKernels.fastest(new UnaryParams(
                        UnaryKernels.lookup(UnaryKernels.prefix(type) + "_" + op + "__reference"),
                        ctx.input(0), ctx.output(0), n, type, type, 0, 0, 0, 0, 0, table));
            }
            case INT16 -> prepareInt16(ctx, n);
            default -> throw ctx.unsupported("type " + type + " is not supported");
        };
    }

    /**
     * TFLite's int16 prepare (TanhPrepare/SigmoidPrepare): zero points 0, an output scale of
     * 2^-15, and either a power-of-two input scale with {@code 12 + log2(scale)} in
     * {@link #maxPotShift}'s range (TFLite then runs gemmlowp's int16 fixed point, which this
     * op does not reproduce and refuses) or any other scale, rescaled to 1/(3 * 4096) by a
     * multiplier doubled until it exceeds 16383.5, with as many right shifts.
     */
    private UnaryParams prepareInt16(PrepareContext ctx, int n) {
        int inZp = ctx.inputZeroPoint(0);
        int outZp = ctx.outputZeroPoint(0);
        if (inZp != 0 || outZp != 0) {
            throw ctx.unsupported("int16 zero points must be 0, are " + inZp + " and " + outZp);
        }
        checkInt16Output(ctx);
        float outScale = (float) ctx.outputScale(0);
        Integer outLog2 = checkedLog2(outScale);
        if (outLog2 == null || outLog2 != -15) {
            throw ctx.unsupported("int16 output scale must be 2^-15, is " + outScale);
        }
        float inScale = (float) ctx.inputScale(0);
        Integer inLog2 = checkedLog2(inScale);
        if (inLog2 != null && 12 + inLog2 >= 0 && 12 + inLog2 <= maxPotShift()) {
            throw ctx.unsupported("int16 input scale " + inScale + " is a power of two, for which TFLite runs"
                    + " gemmlowp's int16 fixed point; not supported");
        }
        double multiplier = (double) inScale * 4096.0 * 3.0;
        int shift = 0;
        while (multiplier <= 32767.0 / 2.0 && shift <= 30) {
            shift++;
            multiplier *= 2.0;
        }
        if (!(multiplier < 32768.0)) {
            throw ctx.unsupported("int16 input scale " + inScale + " is too large (rescale " + multiplier + ")");
        }
        return new UnaryParams(int16Kernel(), ctx.input(0), ctx.output(0), n, TensorType.INT16, TensorType.INT16, 0, 0,
                0, (int) multiplier, shift, null);
    }

    /**
     * TFLite's {@code CheckedLog2}: {@code logf(x) * (1 / logf(2))} in float, rounded half away
     * from zero; null when the fractional part is 1e-3 or more (not a power of two).
     */
    static Integer checkedLog2(float x) {
        float log2 = (float) Math.log(x) * (1.0f / (float) Math.log(2.0f));
        float rounded = dev.whittle.runtime.quant.CppMath.round(log2);
        return Math.abs(log2 - rounded) < 1e-3f ? (int) rounded : null;
    }

    /** The largest power-of-two input left shift for which TFLite takes its gemmlowp path. */
    abstract int maxPotShift();

    /** The int16 kernel for a general input scale. */
    abstract Kernel<UnaryParams> int16Kernel();

    /** Refuses the int16 output quantization TFLite's prepare refuses, beyond the shared checks. */
    void checkInt16Output(PrepareContext ctx) {
    }

    @Override
    public final void eval(UnaryParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }

    /** The float function TFLite's lambda computes. */
    abstract float transform(float x);

    /** Refuses the output quantization TFLite's prepare refuses. */
    void checkOutput(PrepareContext ctx, TensorType type) {
    }
}
