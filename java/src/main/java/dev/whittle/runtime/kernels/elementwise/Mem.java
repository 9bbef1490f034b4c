package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.runtime.ExecutionState;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A tensor as a {@link MemorySegment} for the Java kernels: the native arena by address (a
 * global-scope segment: no liveness check per access, only bounds checks the JIT hoists out
 * of counted loops), else (a constant, or any tensor while folding at compile time) a slice of
 * the heap buffer. Both are read with the unaligned little-endian layouts below.
 */
final class Mem {
    private Mem() {
    }

    static final ValueLayout.OfByte I8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** {@code bytes} bytes of tensor {@code tensor} from its first byte. */
    static MemorySegment of(ExecutionState s, int tensor, long bytes) {
        long address = s.address(tensor);
        if (address != 0) {
            return MemorySegment.ofAddress(address).reinterpret(bytes);
        }
        return MemorySegment.ofBuffer(s.buffer(tensor)).asSlice(s.offset(tensor), bytes);
    }
}
