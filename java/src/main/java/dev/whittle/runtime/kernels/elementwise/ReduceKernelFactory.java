package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ReduceKernels;

/**
 * How the MEAN/SUM family builds a kernel: from the prepared parameters and the reference
 * kernel the op chose (which says which of TFLite's arithmetic paths applies). Null: not handled.
 */
@FunctionalInterface
public interface ReduceKernelFactory {
    Kernel<ReduceKernels.Params> create(ReduceKernels.Params params, Kernel<ReduceKernels.Params> reference);
}
