package dev.whittle.runtime.kernels;

import java.util.Objects;

/**
 * An operator family and data type whose kernels are interchangeable, e.g.
 * {@code qs8_qc8w_fully_connected}: every kernel of one family computes the same integers
 * from the same prepared parameters. {@code F} is how the family builds a kernel at prepare
 * time (packing weights into the layout it wants).
 *
 * @param name the kernel-name prefix (XNNPACK's {@code dtype_op})
 * @param factoryType the factory interface of this family
 */
public record KernelFamily<F>(String name, Class<F> factoryType) {
    public KernelFamily {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(factoryType, "factoryType");
    }

    @Override
    public String toString() {
        return name;
    }
}
