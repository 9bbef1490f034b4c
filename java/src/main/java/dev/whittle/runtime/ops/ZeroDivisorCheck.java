package dev.whittle.runtime.ops;

import dev.whittle.InvalidInputException;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryParams;

/**
 * The integer FLOOR_DIV/FLOOR_MOD guard against a zero divisor known only at run time. TFLite
 * checks the whole divisor before computing and fails the invoke with "Division by 0", leaving
 * the output unwritten; this wrapper does the same and throws {@link InvalidInputException}
 * naming the operator, so the division kernel never sees a zero. A constant divisor with a
 * zero is refused at compile time instead ({@link #refuseConstantZero}).
 */
record ZeroDivisorCheck(Kernel<BinaryParams> kernel, String operator) implements Kernel<BinaryParams> {
    /** Wraps {@code kernel} for the operator {@code ctx} prepares. */
    static Kernel<BinaryParams> wrap(PrepareContext ctx, Kernel<BinaryParams> kernel) {
        refuseConstantZero(ctx);
        return new ZeroDivisorCheck(kernel, "operator " + ctx.operatorIndex() + " (" + ctx.operatorName() + ")");
    }

    /** A constant int32 divisor containing 0 is refused at compile time. */
    static void refuseConstantZero(PrepareContext ctx) {
        if (ctx.isConstant(1)) {
            for (int v : ctx.constantInts(1)) {
                if (v == 0) {
                    throw ctx.unsupported("the divisor contains 0 (division by 0)");
                }
            }
        }
    }

    @Override
    public String name() {
        return kernel.name();
    }

    @Override
    public void run(BinaryParams p, ExecutionState s) {
        for (int i = 0; i < p.count(); i++) {
            if (s.getInt(p.b(), p.indexB(i)) == 0) {
                throw new InvalidInputException(operator + ": division by 0 (the divisor, input 1, is 0 at element "
                        + p.indexB(i) + ")");
            }
        }
        kernel.run(p, s);
    }
}
