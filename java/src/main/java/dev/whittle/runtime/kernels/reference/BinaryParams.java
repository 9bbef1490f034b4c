package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.Kernel;

/**
 * Everything a binary element-wise kernel (ADD, SUB, MUL, FLOOR_DIV, FLOOR_MOD) needs, fixed at
 * prepare time: tensor indices, the broadcast output shape with one stride per input and
 * dimension (0 where that input is broadcast), the fused activation's bounds for each kind of
 * arithmetic, and the quantized rescaling parameters (unused by float and plain integer kernels).
 *
 * @param kernel the kernel prepare chose
 * @param floatMin float activation lower bound (float kernels)
 * @param floatMax float activation upper bound
 * @param intMin integer activation lower bound (int32/int64 kernels, and the quantized clamp)
 * @param intMax integer activation upper bound
 * @param quant rescaling of the quantized kernels, or null
 */
public record BinaryParams(Kernel<BinaryParams> kernel, int a, int b, int output, int[] outShape, int[] aStrides,
        int[] bStrides, int count, float floatMin, float floatMax, long intMin, long intMax, Quant quant) {

    /**
     * TFLite's {@code ArithmeticParams} for the quantized paths. Offsets follow TFLite's signs:
     * input offsets are minus the zero points, the output offset is the zero point.
     *
     * @param leftShift ADD/SUB: 20 for 8-bit, 15 for int16
     * @param aShift ADD/SUB input multiplier exponent (&lt;= 0); the POT int16 path keeps its
     *     input shift here
     */
    public record Quant(int leftShift, int aOffset, int aMultiplier, int aShift, int bOffset, int bMultiplier,
            int bShift, int outOffset, int outMultiplier, int outShift) {
    }

    /** Element index in input a of output element {@code i}. */
    public int indexA(int i) {
        return index(i, aStrides);
    }

    /** Element index in input b of output element {@code i}. */
    public int indexB(int i) {
        return index(i, bStrides);
    }

    private int index(int i, int[] strides) {
        int rem = i;
        int idx = 0;
        for (int d = outShape.length - 1; d >= 0; d--) {
            int c = rem % outShape[d];
            rem /= outShape[d];
            idx += c * strides[d];
        }
        return idx;
    }
}
