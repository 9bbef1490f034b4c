package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain twin of {@link PanamaQuantizeLoops}, lane for lane the same steps:
 * {@code (int) (v + Math.copySign(ROUND_BIAS, v))} with {@code v = x / scale} in double. Java's
 * cast truncates, saturates and takes NaN to 0, as the reference's {@code (int)} of its rounded
 * value does, and the truncation of the biased sum is std::round (halves away from zero) of v:
 * see {@link #ROUND_BIAS}.
 */
final class ScalarQuantizeLoops implements QuantizeLoops {
    static final ScalarQuantizeLoops INSTANCE = new ScalarQuantizeLoops();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    /**
     * 0.5 - 2^-54, the double below one half. For finite v, the rounded sum |v| + ROUND_BIAS
     * truncates to floor(|v| + 1/2): a fraction of exactly 1/2 puts the exact sum within 2^-54 of
     * the next integer, which it rounds to (at |v| = 1/2, 1 - 2^-54 ties to even, 1.0); a fraction
     * below 1/2 is at most 1/2 - ulp(v), so the exact sum stays ulp/2 + 2^-54 or more below the
     * next integer and rounds below it; from 2^52 on, v is an integer and the bias is below half
     * an ulp. (A plain {@code v + 0.5} fails at 0.5 - 2^-54, which would round up to 1.)
     */
    static final double ROUND_BIAS = 0.49999999999999994;

    private ScalarQuantizeLoops() {
    }

    static int round(double v) {
        return (int) (v + Math.copySign(ROUND_BIAS, v));
    }

    @Override
    public void quantize(MemorySegment in, MemorySegment out, int from, int to, double scale, int zeroPoint, int lo,
            int hi, int outBytes) {
        for (int i = from; i < to; i++) {
            int q = Math.min(Math.max(round(in.get(F32, 4L * i) / scale) + zeroPoint, lo), hi);
            if (outBytes == 2) {
                out.set(I16, 2L * i, (short) q);
            } else {
                out.set(ValueLayout.JAVA_BYTE, i, (byte) q);
            }
        }
    }

    @Override
    public String isa() {
        return "scalar";
    }
}
