package dev.whittle.internal.vectorization;

import java.lang.foreign.MemorySegment;

/**
 * The QUANTIZE float32 to int8/uint8/int16 loop of the Java path
 * ({@code runtime/kernels/elementwise/QuantizeKernels}): {@link PanamaQuantizeLoops} on the Vector
 * API, {@link ScalarQuantizeLoops} its plain twin. Both compute, bit for bit, what
 * {@code UnaryKernels.quantize} (the reference) does:
 * {@code clamp((int) std::round((double) x / scale) + zeroPoint, lo, hi)} with Java's
 * {@code (int)} (NaN to 0, saturating) and int addition (wrapping).
 */
public interface QuantizeLoops {
    /**
     * Elements {@code from..to-1}: reads float32 {@code in} (little-endian), writes {@code out}
     * as {@code outBytes}-byte integers (1: int8 or uint8, 2: int16) clamped to {@code [lo, hi]}.
     */
    void quantize(MemorySegment in, MemorySegment out, int from, int to, double scale, int zeroPoint, int lo, int hi,
            int outBytes);

    /** The loop for this JVM: Panama when {@link VectorizationProvider#get()} is vectorized, else the twin. */
    static QuantizeLoops get() {
        return QuantizeVectorization.INSTANCE;
    }

    /** The plain-Java twin, whatever the JVM has: for tests. */
    static QuantizeLoops plain() {
        return ScalarQuantizeLoops.INSTANCE;
    }

    /** {@code panama256}, {@code panama512} or {@code scalar}. */
    String isa();
}
