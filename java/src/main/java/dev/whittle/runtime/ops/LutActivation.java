package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
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
                yield new UnaryParams(UnaryKernels.lookup(UnaryKernels.prefix(type) + "_" + op + "__reference"),
                        ctx.input(0), ctx.output(0), n, type, type, 0, 0, 0, 0, 0, table);
            }
            default -> throw ctx.unsupported("type " + type + " is not supported");
        };
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
