package dev.whittle.internal.vectorization;

import dev.whittle.runtime.quant.FixedPoint;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The plain-Java twin of {@code PanamaInt8DepthwiseKernels}: one pixel and one channel at a
 * time, the output stage straight from {@link FixedPoint}. Also the Panama kernel's path for a
 * call whose whole-vector loads would run past the end of the input.
 */
final class ScalarInt8DepthwiseKernels implements Int8DepthwiseKernels {
    static final ScalarInt8DepthwiseKernels INSTANCE = new ScalarInt8DepthwiseKernels();
    /** The packing unit (the twin has no vectors; 16 keeps its layouts like AVX-512's). */
    private static final int LANES = 16;

    private ScalarInt8DepthwiseKernels() {
    }

    @Override
    public int lanes() {
        return LANES;
    }

    @Override
    public String isa() {
        return "scalar";
    }

    @Override
    public void run(Int8Depthwise d, int pixels, MemorySegment in, long inEnd, long inOff, long inStep, long[] tapIn,
            int[] tapW, int taps, boolean interior, MemorySegment out, long outOff, long outStep, int outBytes,
            Scratch s) {
        int mask = d.unsigned ? 0xFF : -1;
        int[] w = d.weights;
        for (int j = 0; j < pixels; j++) {
            long base = inOff + j * inStep;
            for (int l = 0; l < outBytes; l++) {
                int acc;
                if (interior) {
                    acc = d.folded[l];
                } else {
                    acc = d.bias[l];
                    for (int t = 0; t < taps; t++) {
                        acc += d.weightsIo[tapW[t] + l];
                    }
                }
                long lane = d.laneOffset[l];
                for (int t = 0; t < taps; t++) {
                    int x = in.get(ValueLayout.JAVA_BYTE, base + tapIn[t] + lane) & mask;
                    acc += w[tapW[t] + l] * x;
                }
                int v = FixedPoint.multiplyByQuantizedMultiplier(acc, d.multipliers[l], d.shifts[l]) + d.outputOffset;
                out.set(ValueLayout.JAVA_BYTE, outOff + j * outStep + l, (byte) Math.min(Math.max(v, d.actMin),
                        d.actMax));
            }
        }
    }
}
