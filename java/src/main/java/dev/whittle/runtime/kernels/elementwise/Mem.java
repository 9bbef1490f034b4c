package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.runtime.ExecutionState;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A tensor as a {@link MemorySegment} for the Java kernels: a slice of the buffer that holds it
 * (the context's native arena, or heap memory for constants and compile-time folding), read
 * with the unaligned little-endian layouts below; bounds checks hoist out of counted loops.
 * (Not {@code MemorySegment.ofAddress(address).reinterpret(n)}: {@code reinterpret} is a
 * restricted method whose caller check costs microseconds per call, which small nodes feel.)
 */
final class Mem {
    private Mem() {
    }

    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /**
     * All of native memory, made once: kernels read tensors in native memory through it at
     * their {@link ExecutionState#address(int) addresses} without making a segment per call.
     * No bounds: the kernel's own index arithmetic (checked at prepare) keeps accesses inside
     * the tensors. Null where this module may not use restricted methods (no native access:
     * the kernels then take slices, as for heap tensors).
     */
    static final MemorySegment ALL = all();

    private static MemorySegment all() {
        try {
            return MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
        } catch (IllegalCallerException e) {
            return null;
        }
    }

    /** {@code bytes} bytes of tensor {@code tensor} from its first byte. */
    static MemorySegment of(ExecutionState s, int tensor, long bytes) {
        return MemorySegment.ofBuffer(s.buffer(tensor)).asSlice(s.offset(tensor), bytes);
    }
}
