package dev.whittle.testing;

import dev.whittle.internal.vectorization.Int16AddLoops.Int16AddParams;
import dev.whittle.runtime.quant.FixedPoint;

import java.util.SplittableRandom;

/**
 * The reference arithmetic of quantized ADD/SUB (TFLite's 8-bit and general 16-bit paths, as
 * {@code BinaryArithmetic} computes them through {@link FixedPoint}) and the random constants the
 * ADD/SUB kernel tests draw: shared by {@code Q8AddNativeTest}, {@code Qs16AddNativeTest} and
 * {@code Int16AddLoopsTwinTest}. The constants are in {@link Int16AddParams} (whittle_qs16_add_params
 * order; exponents as right shifts), whatever the element type.
 */
public final class QuantizedAddReference {
    private QuantizedAddReference() {
    }

    /** One output element: {@code clamp(rescale(rescale(x) +- rescale(y)) + outOffset, min, max)}. */
    public static int element(int xv, int yv, Int16AddParams q) {
        int sx = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp((xv + q.aOffset()) * (1 << q.leftShift()),
                q.aMultiplier(), -q.aExp());
        int sy = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp((yv + q.bOffset()) * (1 << q.leftShift()),
                q.bMultiplier(), -q.bExp());
        int raw = q.subtract() ? sx - sy : sx + sy;
        int v = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(raw, q.outMultiplier(), -q.outExp())
                + q.outOffset();
        return Math.max(q.min(), Math.min(q.max(), v));
    }

    /** {@code len} elements of x and y (element 0 of a scalar operand for every k). */
    public static int[] expected(int[] x, int[] y, boolean aScalar, boolean bScalar, int len, Int16AddParams q) {
        int[] out = new int[len];
        for (int k = 0; k < len; k++) {
            out[k] = element(x[aScalar ? 0 : k], y[bScalar ? 0 : k], q);
        }
        return out;
    }

    /** As {@link #expected(int[], int[], boolean, boolean, int, Int16AddParams)} on int16. */
    public static short[] expected(short[] x, short[] y, boolean aScalar, boolean bScalar, int len,
            Int16AddParams q) {
        short[] out = new short[len];
        for (int k = 0; k < len; k++) {
            out[k] = (short) element(x[aScalar ? 0 : k], y[bScalar ? 0 : k], q);
        }
        return out;
    }

    /** A multiplier: MAX_VALUE, 2^30, anywhere in int32 (negative too, never MIN_VALUE), tiny, or in [2^30, 2^31). */
    public static int multiplier(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> Integer.MAX_VALUE;
            case 1 -> 1 << 30;
            case 2 -> r.nextInt() | 1; // anywhere, negative too (never MIN_VALUE)
            case 3 -> r.nextInt(1, 1 << 16);
            default -> r.nextInt(1 << 30, Integer.MAX_VALUE);
        };
    }

    /** An int16 input: -32768, 32767, near zero, or anywhere. */
    public static short int16Input(SplittableRandom r) {
        return switch (r.nextInt(5)) {
            case 0 -> Short.MIN_VALUE;
            case 1 -> Short.MAX_VALUE;
            case 2 -> (short) r.nextInt(-3, 4);
            default -> (short) r.nextInt();
        };
    }
}
