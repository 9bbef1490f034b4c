package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain twin of {@link PanamaQuantizeLoops}, lane for lane the same steps: the double
 * quotient clamped to [-2^31, 2^31-1] (this does not change {@code (int) round(v)}: every value
 * at or beyond an end gives that end), truncated by the {@code (int)} cast, then one added or
 * subtracted where the exactly computed fraction {@code c - trunc(c)} reaches one half
 * (std::round's halves away from zero). NaN stays NaN through the clamp, casts to 0 and its
 * fraction compares false: 0, as the reference's {@code (int) NaN}.
 */
final class ScalarQuantizeLoops implements QuantizeLoops {
    static final ScalarQuantizeLoops INSTANCE = new ScalarQuantizeLoops();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private ScalarQuantizeLoops() {
    }

    static int round(double v) {
        double c = Math.min(Math.max(v, -2147483648.0), 2147483647.0);
        int t = (int) c;
        double f = c - t; // exact: c and trunc(c) have the same sign and, from 1 on, are within a factor 2
        return f >= 0.5 ? t + 1 : f <= -0.5 ? t - 1 : t;
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
