package dev.whittle.runtime.ops;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/**
 * The quantized preparation ADD and SUB share (TFLite's {@code add.cc} Prepare and
 * {@code sub.cc} {@code PrepareGeneralSubOp}/{@code PrepareInt16SubOpPOT}).
 *
 * <p>Which int16 path TFLite takes: zero points must all be 0 (else TFLite refuses). When the
 * options' {@code pot_scale_int16} is true (the schema default, also when the options table is
 * present but the field absent) and all three scales pass {@code CheckedLog2}, the power-of-two
 * path; otherwise (no options table, {@code pot_scale_int16} false, or any scale not a power of
 * two) the general path with a left shift of 15.
 */
final class AddSubSupport {
    private AddSubSupport() {
    }

    static ElementwiseBinary.QuantizedChoice prepare(PrepareContext ctx, TensorType type, boolean broadcast,
            boolean subtract) {
        int za = ctx.inputZeroPoint(0);
        int zb = ctx.inputZeroPoint(1);
        int zo = ctx.outputZeroPoint(0);
        double sa = ElementwiseBinary.inScale(ctx, 0);
        double sb = ElementwiseBinary.inScale(ctx, 1);
        double so = ElementwiseBinary.outScale(ctx);
        if (type == TensorType.INT16) {
            if (za != 0 || zb != 0 || zo != 0) {
                throw ctx.unsupported("int16 zero points must be 0, are " + za + ", " + zb + " and " + zo);
            }
            boolean pot = ctx.options() != null && ctx.options().getBool("pot_scale_int16");
            Integer la = pot ? ElementwiseBinary.checkedLog2(sa) : null;
            Integer lb = pot ? ElementwiseBinary.checkedLog2(sb) : null;
            Integer lo = pot ? ElementwiseBinary.checkedLog2(so) : null;
            if (la != null && lb != null && lo != null) {
                int shiftA = la - lo;
                int shiftB = lb - lo;
                if (!(shiftA == 0 || shiftB == 0) || shiftA > 0 || shiftB > 0) {
                    throw ctx.unsupported("int16 power-of-two scales: only one input may differ from the output"
                            + " scale and only by a smaller power of two (shifts " + shiftA + ", " + shiftB + ")");
                }
                if (broadcast && !subtract) {
                    throw ctx.unsupported("TFLite's int16 power-of-two ADD does not broadcast");
                }
                if (-shiftA > 31 || -shiftB > 31) {
                    throw ctx.unsupported("int16 power-of-two shift beyond 31");
                }
                Kernel<BinaryParams> k = subtract ? BinaryKernels.QS16_SUB_POT : BinaryKernels.QS16_ADD_POT;
                return new ElementwiseBinary.QuantizedChoice(k,
                        new BinaryParams.Quant(0, 0, 0, shiftA, 0, 0, shiftB, 0, 0, 0));
            }
        } else if (subtract) {
            int lo = type == TensorType.UINT8 ? 0 : -128;
            int hi = type == TensorType.UINT8 ? 255 : 127;
            for (int z : new int[] {za, zb, zo}) {
                if (z < lo || z > hi) {
                    throw ctx.unsupported("zero point " + z + " is outside the " + type + " range");
                }
            }
        }
        int leftShift = type == TensorType.INT16 ? 15 : 20;
        double twiceMax = 2 * Math.max(sa, sb);
        double realA = sa / twiceMax;
        double realB = sb / twiceMax;
        double realOut = twiceMax / ((1 << leftShift) * so);
        if (!(realOut < 1.0)) {
            throw ctx.unsupported("output rescale " + realOut + " is not below 1 (output scale " + so
                    + " too small for input scales " + sa + " and " + sb + "); TFLite cannot run it either");
        }
        QuantizedMultiplier ma = QuantizedMultiplier.ofSmallerThanOne(realA);
        QuantizedMultiplier mb = QuantizedMultiplier.ofSmallerThanOne(realB);
        QuantizedMultiplier mo = QuantizedMultiplier.ofSmallerThanOne(realOut);
        BinaryParams.Quant q = new BinaryParams.Quant(leftShift, -za, ma.multiplier(), ma.shift(), -zb,
                mb.multiplier(), mb.shift(), zo, mo.multiplier(), mo.shift());
        Kernel<BinaryParams> k = switch (type) {
            case INT8 -> subtract ? BinaryKernels.QS8_SUB : BinaryKernels.QS8_ADD;
            case UINT8 -> subtract ? BinaryKernels.QU8_SUB : BinaryKernels.QU8_ADD;
            default -> subtract ? BinaryKernels.QS16_SUB : BinaryKernels.QS16_ADD;
        };
        return new ElementwiseBinary.QuantizedChoice(k, q);
    }
}
