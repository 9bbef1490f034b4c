package dev.whittle.runtime.kernels;

import dev.whittle.CpuFeatures;

import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * One line of {@link KernelRegistry}: a kernel of a family on a path.
 *
 * @param family the op family and data type
 * @param path where the code comes from
 * @param factory builds the kernel for one node at prepare time
 * @param compiledIn whether the code is present in this process (always for the Java and
 *     reference paths; for native paths, whether libwhittle is loaded and exports the kernel)
 */
public record KernelEntry<F>(KernelFamily<F> family, KernelPath path, F factory, BooleanSupplier compiledIn) {
    public KernelEntry {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(factory, "factory");
        Objects.requireNonNull(compiledIn, "compiledIn");
        if (!family.factoryType().isInstance(factory)) {
            throw new IllegalArgumentException(family + ": factory is not a " + family.factoryType().getName());
        }
    }

    /** Compiled in AND supported by {@code cpu}. */
    public boolean availableOn(CpuFeatures cpu) {
        return path.supportedBy(cpu) && compiledIn.getAsBoolean();
    }

    @Override
    public String toString() {
        return family + "@" + path.label();
    }
}
