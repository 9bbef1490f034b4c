package dev.whittle.runtime.kernels;

import dev.whittle.internal.nativelib.NativeLibrary;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.function.BooleanSupplier;

/**
 * What the native kernel classes share: the downcall handles of {@code libwhittle}'s exported
 * kernels and the native memory their packed weights live in.
 *
 * <p>Conventions of every native kernel entry point (see {@code kernels/README.md}): the symbol
 * is {@code whittle_} + the kernel name; pointers are passed as {@code long} addresses
 * ({@link dev.whittle.runtime.ExecutionState#address(int)}, {@link MemorySegment#address()}),
 * never as Java arrays, so a call copies nothing; the parameters a node needs are one block of
 * native memory written at prepare (its layout a C struct in {@code native/include/whittle/}),
 * and a call passes that block, the tensor addresses, the worker's scratch and the range of
 * work of its task. Everything is validated in Java before the call: native code trusts its
 * arguments.
 */
public final class NativeKernels {
    private NativeKernels() {
    }

    /** Whether the loaded libwhittle exports {@code symbol} (false when there is no library). */
    public static boolean has(String symbol) {
        return NativeLibrary.get().lookup(symbol).isPresent();
    }

    /** {@link KernelEntry}'s compiled-in test for a native kernel. */
    public static BooleanSupplier exported(String symbol) {
        return () -> has(symbol);
    }

    /**
     * The downcall handle of {@code symbol}.
     *
     * @throws IllegalStateException when the library does not export it (check {@link #has} first)
     */
    public static MethodHandle handle(String symbol, FunctionDescriptor descriptor) {
        return NativeLibrary.get().downcall(symbol, descriptor).orElseThrow(() -> new IllegalStateException(
                "libwhittle does not export " + symbol + ": " + NativeLibrary.get()));
    }

    /**
     * Zeroed native memory of {@code bytes} bytes aligned to 64, freed by the garbage collector
     * once nothing references the returned segment: keep the segment in the kernel object that
     * uses its address, so the memory lives as long as the compiled model.
     */
    public static MemorySegment allocate(long bytes) {
        return Arena.ofAuto().allocate(Math.max(bytes, 1), 64);
    }
}
