package dev.whittle.internal.vectorization;

import dev.whittle.runtime.quant.CppMath;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@link QuantizeLoops}: the JVM's loop (Panama where the module is there) and the plain twin
 * against the reference's expression ({@code UnaryKernels.quantize}:
 * {@code clamp((int) CppMath.round((double) x / scale) + zp, lo, hi)}) on random float bit
 * patterns (NaN, infinities, denormals, every exponent), quotients on and beside halves, random
 * positive scales over every exponent (denormal ones too), zero points anywhere in int32 (the
 * reference's wrapping addition), int8/uint8/int16 bounds, odd ranges. Identical bytes.
 */
class QuantizeLoopsTwinTest {
    private static final int N = 4099;

    private static byte[] oracle(float[] x, int from, int to, double scale, int zp, int lo, int hi, int bytes) {
        MemorySegment out = MemorySegment.ofArray(new byte[bytes * x.length]);
        for (int i = from; i < to; i++) {
            int q = Math.min(Math.max((int) CppMath.round((double) x[i] / scale) + zp, lo), hi);
            if (bytes == 2) {
                out.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i, (short) q);
            } else {
                out.set(ValueLayout.JAVA_BYTE, i, (byte) q);
            }
        }
        return out.toArray(ValueLayout.JAVA_BYTE);
    }

    private static byte[] run(QuantizeLoops loops, float[] x, int from, int to, double scale, int zp, int lo, int hi,
            int bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(4L * x.length, 64);
            MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT_UNALIGNED, 0, x.length);
            MemorySegment out = arena.allocate((long) bytes * x.length, 64);
            loops.quantize(in, out, from, to, scale, zp, lo, hi, bytes);
            return out.toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /**
     * The rounding step alone on doubles: (int) (v + copysign(0.5 - 2^-54, v)) is
     * (int) std::round(v) at every half and its neighbours, in each binade up to 2^60, at the
     * int32 limits, for 0.5 - 2^-54 itself, +-0, NaN, +-Inf and random bits.
     */
    @Test
    void roundingBias() {
        List<Double> v = new ArrayList<>(List.of(0.49999999999999994, 0.5, 0.0, -0.0, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MAX_VALUE,
                2147483647.5, 2147483646.5, -2147483648.5, -2147483647.5, 2147483648.0, -2147483649.0));
        for (int e = -3; e <= 60; e++) {
            double p = Math.scalb(1.0, e);
            for (double base : new double[] {p, p + 0.5, p - 0.5, p * 1.5 + 0.5, Math.floor(p * 1.37) + 0.5}) {
                double up = base;
                double down = base;
                v.add(base);
                for (int j = 0; j < 3; j++) {
                    up = Math.nextUp(up);
                    down = Math.nextDown(down);
                    v.add(up);
                    v.add(down);
                }
            }
        }
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            v.add(Double.longBitsToDouble(r.nextLong()));
            v.add(r.nextInt() + (r.nextBoolean() ? 0.5 : r.nextDouble()));
        }
        for (double d : v) {
            for (double x : new double[] {d, -d}) {
                assertEquals((int) CppMath.round(x), ScalarQuantizeLoops.round(x), "round " + x);
            }
        }
    }

    @Test
    void randomBitsScalesAndZeroPoints() {
        SplittableRandom r = new SplittableRandom(6);
        int[][] bounds = {{-128, 127, 1}, {0, 255, 1}, {-32768, 32767, 2}};
        for (int round = 0; round < 120; round++) {
            float scale;
            switch (round % 4) {
                case 0 -> scale = Float.intBitsToFloat(r.nextInt(1, 0x7f800000)); // any positive finite
                case 1 -> scale = (float) Math.scalb(r.nextDouble(1, 2), r.nextInt(-20, 4));
                case 2 -> scale = 1f / r.nextInt(1, 40000);
                default -> scale = new float[] {1f, 0.5f, 3.0517578e-5f, 2.9f, 1e-30f, 1e30f, Float.MIN_VALUE}[round % 7];
            }
            int[] b = bounds[round % 3];
            int zp = switch (round % 5) {
                case 0 -> b[0];
                case 1 -> b[1];
                case 2 -> r.nextInt(b[0], b[1] + 1);
                case 3 -> r.nextInt(); // wrap-around of the reference's int addition
                default -> 0;
            };
            float[] x = new float[N];
            for (int i = 0; i < N; i++) {
                x[i] = switch (i % 4) {
                    case 0 -> Float.intBitsToFloat(r.nextInt());
                    case 1 -> (float) ((Math.floor(r.nextDouble(-1.3, 1.3) * (b[1] - b[0])) + 0.5) * scale);
                    case 2 -> Math.nextUp((float) ((r.nextInt(-70000, 70000) + 0.5) * scale));
                    default -> (float) (r.nextDouble(-3e9, 3e9) * scale);
                };
            }
            int from = r.nextInt(0, 20);
            int to = N - r.nextInt(0, 20);
            String label = "scale " + scale + " zp " + zp + " bounds " + b[0] + ".." + b[1];
            byte[] want = oracle(x, from, to, scale, zp, b[0], b[1], b[2]);
            assertArrayEquals(want, run(QuantizeLoops.plain(), x, from, to, scale, zp, b[0], b[1], b[2]),
                    "plain twin, " + label);
            assertArrayEquals(want, run(QuantizeLoops.get(), x, from, to, scale, zp, b[0], b[1], b[2]),
                    QuantizeLoops.get().isa() + ", " + label);
        }
    }
}
