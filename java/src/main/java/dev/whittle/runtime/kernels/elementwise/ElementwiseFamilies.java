package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.reference.BinaryParams;

/**
 * The kernel families of the ops besides convolution and fully-connected (registered in
 * {@link dev.whittle.runtime.kernels.KernelRegistry}). Each family's factory receives the
 * parameters prepared for the op's reference kernel and returns a faster kernel computing the
 * same integers, or null.
 */
public final class ElementwiseFamilies {
    private ElementwiseFamilies() {
    }

    /** ADD, SUB and MUL on int8, uint8 and int16 (every quantized binary reference kernel). */
    public static final KernelFamily<PreparedKernelFactory<BinaryParams>> QUANTIZED_BINARY = family("quantized_binary");

    @SuppressWarnings({"unchecked", "rawtypes"})
    static <P> KernelFamily<PreparedKernelFactory<P>> family(String name) {
        return new KernelFamily<>(name, (Class) PreparedKernelFactory.class);
    }
}
