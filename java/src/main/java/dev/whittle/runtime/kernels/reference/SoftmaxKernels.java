package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.CppMath;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * Reference SOFTMAX kernels. The 8-bit ones are TFLite 2.20's x86 optimized path
 * ({@code optimized_ops::Softmax} with {@code PopulateSoftmaxLookupTable}; the uint16-LUT
 * variant is built only with clang on aarch64): a float table of {@code expf(-scale * beta * d)}
 * for every distance {@code d} from the row maximum, a float sum in row order, a float
 * reciprocal of {@code sum * outputScale}, and per element {@code table * reciprocal} rounded.
 * int8 rounds half away from zero and adds the zero point; uint8 adds 0.5 and truncates, ignoring
 * the zero point ({@code QuantizeSoftmaxOutput<uint8_t>} off aarch64).
 */
public final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    /** {@code table[255 - d] = expf(-inputScale * beta * d)} in float, for d in 0..255. */
    public static float[] populateTable(float inputScale, float beta) {
        float scale = -inputScale * beta;
        float[] table = new float[256];
        for (int d = 0; d <= 255; d++) {
            table[255 - d] = (float) Math.exp(scale * (float) d);
        }
        return table;
    }

    public static final Kernel<SoftmaxParams> QS8 = new Eight("qs8_softmax__reference", true);
    public static final Kernel<SoftmaxParams> QU8 = new Eight("qu8_softmax__reference", false);

    private record Eight(String name, boolean signed) implements Kernel<SoftmaxParams> {
        @Override
        public void run(SoftmaxParams p, ExecutionState s) {
            int lo = signed ? -128 : 0;
            int hi = signed ? 127 : 255;
            float[] table = p.table();
            for (int r = 0; r < p.rows(); r++) {
                int base = r * p.depth();
                int max = lo;
                for (int c = 0; c < p.depth(); c++) {
                    max = Math.max(max, value(s, p.input(), base + c));
                }
                int offset = 255 - max;
                float sum = 0f;
                for (int c = 0; c < p.depth(); c++) {
                    sum += table[offset + value(s, p.input(), base + c)];
                }
                float inv = 1.0f / (sum * p.outScale());
                for (int c = 0; c < p.depth(); c++) {
                    float prob = table[offset + value(s, p.input(), base + c)] * inv;
                    int q = signed ? (int) CppMath.round(prob) + p.outZeroPoint() : (int) (prob + 0.5f);
                    s.putByte(p.output(), base + c, (byte) Math.max(Math.min(hi, q), lo));
                }
            }
        }

        private int value(ExecutionState s, int t, int i) {
            return signed ? s.getByte(t, i) : s.getUnsignedByte(t, i);
        }
    }

    /**
     * TFLite's {@code LUTPopulate<int16_t>} in its double form, as int16 SOFTMAX's prepare calls
     * it: 512 samples of {@code f} over the input range {@code inputScale * ([-32768, 32767] -
     * inputZeroPoint)}, scaled to int16 over the output range, each lowered by half the error
     * the linear interpolation makes at the midpoint of its step, plus the value at the end.
     */
    public static short[] int16Lut(double inputScale, int inputZeroPoint, double outputScale, int outputZeroPoint,
            java.util.function.DoubleUnaryOperator f) {
        double inputMin = inputScale * (Short.MIN_VALUE - inputZeroPoint);
        double inputMax = inputScale * (Short.MAX_VALUE - inputZeroPoint);
        double outputMin = outputScale * (Short.MIN_VALUE - outputZeroPoint);
        double outputMax = outputScale * (Short.MAX_VALUE - outputZeroPoint);
        int steps = 512;
        double step = (inputMax - inputMin) / steps;
        double halfStep = step / 2;
        double scalingInv = 65536.0 / (outputMax - outputMin);
        short[] lut = new short[steps + 1];
        for (int i = 0; i < steps; i++) {
            double val = f.applyAsDouble(inputMin + i * step);
            double valMid = f.applyAsDouble(inputMin + i * step + halfStep);
            double valNext = f.applyAsDouble(inputMin + (i + 1) * step);
            double sample = CppMath.round(val * scalingInv);
            double midInterp = CppMath.round((valNext * scalingInv + CppMath.round(val * scalingInv)) / 2);
            double mid = CppMath.round(valMid * scalingInv);
            double bias = CppMath.round((midInterp - mid) / 2);
            lut[i] = (short) Math.min(Math.max(sample - bias, Short.MIN_VALUE), Short.MAX_VALUE);
        }
        lut[steps] = (short) Math.min(Math.max(CppMath.round(f.applyAsDouble(inputMax) * scalingInv),
                Short.MIN_VALUE), Short.MAX_VALUE);
        return lut;
    }

    /** exp on [-10, 0] (input zero point 32767), output [-1, 1]: TFLite's {@code exp_lut}. */
    public static final short[] EXP_LUT = int16Lut(10.0 / 65535, 32767, 2.0 / 65535, 0, StrictMath::exp);

    /** 1 / (1 + x) on [0, 1] (input zero point -32768), output [-1, 1]: TFLite's {@code one_over_one_plus_x_lut}. */
    public static final short[] RECIPROCAL_LUT = int16Lut(1.0 / 65535, -32768, 2.0 / 65535, 0, x -> 1.0 / (1.0 + x));

    /** TFLite's {@code LUTLookup(int16_t)}: entry {@code 256 + (v >> 7)}, interpolated on the low 7 bits. */
    static short lookup(short[] lut, short v) {
        int index = 256 + (v >> 7);
        int offset = v & 0x7F;
        short base = lut[index];
        short slope = (short) (lut[index + 1] - base);
        return (short) (base + ((slope * offset + 64) >> 7));
    }

    /** One exp value of TFLite's {@code SoftMaxCalculateExp}, in Q0.15. */
    private static short exp16(SoftmaxParams p, int diff) {
        int scaled = FixedPoint.multiplyByQuantizedMultiplier(diff, p.inputMultiplier(), p.inputShift());
        int sym = Math.min(Math.max(scaled + 32767, Short.MIN_VALUE), Short.MAX_VALUE);
        return lookup(p.expLut(), (short) sym);
    }

    /**
     * {@code qs16_softmax__reference}: TFLite's {@code SoftmaxInt16}. The exp values are
     * computed twice (TFLite caches them in the output; this kernel allocates nothing).
     */
    public static final Kernel<SoftmaxParams> QS16 = new Kernel<>() {
        @Override
        public String name() {
            return "qs16_softmax__reference";
        }

        @Override
        public void run(SoftmaxParams p, ExecutionState s) {
            for (int r = 0; r < p.rows(); r++) {
                int base = r * p.depth();
                int max = Short.MIN_VALUE;
                for (int c = 0; c < p.depth(); c++) {
                    max = Math.max(max, s.getShort(p.input(), base + c));
                }
                int sum = 0;
                for (int c = 0; c < p.depth(); c++) {
                    sum += exp16(p, s.getShort(p.input(), base + c) - max);
                }
                int headroomPlusOne = Integer.numberOfLeadingZeros(sum);
                int shiftedSum = (int) ((((long) sum << (headroomPlusOne - 1)) + (1 << 13)) >> 14);
                // 1 / (1 + x) with x = sum - 1, recentred from [0, 65535] to [-32768, 32767].
                int sym = Math.min(Math.max(shiftedSum - ((1 << 15) + (1 << 16)), Short.MIN_VALUE), Short.MAX_VALUE);
                short reciprocal = lookup(p.reciprocalLut(), (short) sym);
                int rightShift = 31 - headroomPlusOne;
                long round = 1L << (rightShift - 1);
                for (int c = 0; c < p.depth(); c++) {
                    short e = exp16(p, s.getShort(p.input(), base + c) - max);
                    int result = (int) (((long) e * reciprocal + round) >> rightShift);
                    s.putShort(p.output(), base + c, (short) Math.min(Math.max(result, 0), 32767));
                }
            }
        }
    };
}
