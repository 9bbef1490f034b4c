package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;

/**
 * The reference kernels of the binary element-wise operators (ADD, SUB, MUL, FLOOR_DIV,
 * FLOOR_MOD), one per data type and operator, named {@code dtype_op__reference}.
 */
public final class BinaryKernels {
    private BinaryKernels() {
    }

    private record Named(String name, BinaryArithmetic arithmetic) implements Kernel<BinaryParams> {
        @Override
        public void run(BinaryParams params, ExecutionState state) {
            arithmetic.run(params, state);
        }
    }

    private static Kernel<BinaryParams> of(BinaryArithmetic a) {
        return new Named(a.kernelName(), a);
    }

    public static final Kernel<BinaryParams> F32_ADD = of(BinaryArithmetic.F32_ADD);
    public static final Kernel<BinaryParams> F32_SUB = of(BinaryArithmetic.F32_SUB);
    public static final Kernel<BinaryParams> F32_MUL = of(BinaryArithmetic.F32_MUL);
    public static final Kernel<BinaryParams> F32_FLOOR_DIV = of(BinaryArithmetic.F32_FLOOR_DIV);
    public static final Kernel<BinaryParams> F32_FLOOR_MOD = of(BinaryArithmetic.F32_FLOOR_MOD);
    public static final Kernel<BinaryParams> S32_ADD = of(BinaryArithmetic.S32_ADD);
    public static final Kernel<BinaryParams> S32_SUB = of(BinaryArithmetic.S32_SUB);
    public static final Kernel<BinaryParams> S32_MUL = of(BinaryArithmetic.S32_MUL);
    public static final Kernel<BinaryParams> S32_FLOOR_DIV = of(BinaryArithmetic.S32_FLOOR_DIV);
    public static final Kernel<BinaryParams> S32_FLOOR_MOD = of(BinaryArithmetic.S32_FLOOR_MOD);
    public static final Kernel<BinaryParams> S64_ADD = of(BinaryArithmetic.S64_ADD);
    public static final Kernel<BinaryParams> S64_SUB = of(BinaryArithmetic.S64_SUB);
    public static final Kernel<BinaryParams> S64_MUL = of(BinaryArithmetic.S64_MUL);
    public static final Kernel<BinaryParams> QS8_ADD = of(BinaryArithmetic.QS8_ADD);
    public static final Kernel<BinaryParams> QU8_ADD = of(BinaryArithmetic.QU8_ADD);
    public static final Kernel<BinaryParams> QS16_ADD = of(BinaryArithmetic.QS16_ADD);
    public static final Kernel<BinaryParams> QS16_ADD_POT = of(BinaryArithmetic.QS16_ADD_POT);
    public static final Kernel<BinaryParams> QS8_SUB = of(BinaryArithmetic.QS8_SUB);
    public static final Kernel<BinaryParams> QU8_SUB = of(BinaryArithmetic.QU8_SUB);
    public static final Kernel<BinaryParams> QS16_SUB = of(BinaryArithmetic.QS16_SUB);
    public static final Kernel<BinaryParams> QS16_SUB_POT = of(BinaryArithmetic.QS16_SUB_POT);
    public static final Kernel<BinaryParams> QS8_MUL = of(BinaryArithmetic.QS8_MUL);
    public static final Kernel<BinaryParams> QU8_MUL = of(BinaryArithmetic.QU8_MUL);
    public static final Kernel<BinaryParams> QS16_MUL = of(BinaryArithmetic.QS16_MUL);
}
