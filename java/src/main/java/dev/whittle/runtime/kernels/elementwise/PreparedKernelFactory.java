package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.runtime.Kernel;

/**
 * How the families of the element-wise, pooling and data-movement ops build a faster kernel:
 * from the parameters the op prepared for its reference kernel (which they keep, as the
 * oracle and the fallback). Returns null for nodes the kernel does not handle.
 *
 * @param <P> the op's prepared parameters
 */
@FunctionalInterface
public interface PreparedKernelFactory<P> {
    Kernel<P> create(P referenceParams);
}
