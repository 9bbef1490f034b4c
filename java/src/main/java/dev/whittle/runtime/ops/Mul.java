package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/**
 * MUL with broadcasting (up to rank 6) and a fused activation: float32, int32, int64, and
 * quantized int8, uint8, int16 (zero points 0, as TFLite requires) with one multiplier
 * {@code scaleA * scaleB / scaleOut} from {@code QuantizeMultiplier} (may exceed 1).
 */
public final class Mul extends ElementwiseBinary {
    @Override
    Kernel<BinaryParams> kernel(PrepareContext ctx, TensorType type) {
        return switch (type) {
            case FLOAT32 -> BinaryKernels.F32_MUL;
            case INT32 -> BinaryKernels.S32_MUL;
            default -> BinaryKernels.S64_MUL;
        };
    }

    @Override
    QuantizedChoice quantized(PrepareContext ctx, TensorType type, boolean broadcast) {
        int za = ctx.inputZeroPoint(0);
        int zb = ctx.inputZeroPoint(1);
        int zo = ctx.outputZeroPoint(0);
        if (type == TensorType.INT16 && (za != 0 || zb != 0 || zo != 0)) {
            throw ctx.unsupported("int16 zero points must be 0, are " + za + ", " + zb + " and " + zo);
        }
        // TFLite multiplies the float scales in float, then divides in float: all three are floats.
        double real = (float) inScale(ctx, 0) * (float) inScale(ctx, 1) / (float) outScale(ctx);
        QuantizedMultiplier m = QuantizedMultiplier.of(real);
        if (m.shift() >= 31 || m.shift() < -31) {
            throw ctx.unsupported("output rescale " + real + " is out of range");
        }
        BinaryParams.Quant q = new BinaryParams.Quant(0, -za, 0, 0, -zb, 0, 0, zo, m.multiplier(), m.shift());
        Kernel<BinaryParams> k = switch (type) {
            case INT8 -> BinaryKernels.QS8_MUL;
            case UINT8 -> BinaryKernels.QU8_MUL;
            default -> BinaryKernels.QS16_MUL;
        };
        return new QuantizedChoice(k, q);
    }
}
