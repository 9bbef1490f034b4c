package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;

import java.util.Objects;

/**
 * A named reference kernel: the name (XNNPACK's {@code dtype_op__reference} scheme) and the
 * plain loop that computes it. Stateless and shared by every thread.
 *
 * @param <P> the operator's kernel parameters
 */
public record ReferenceKernel<P>(String name, Body<P> body) implements Kernel<P> {
    /** The arithmetic of one kernel. */
    @FunctionalInterface
    public interface Body<P> {
        void run(P params, ExecutionState state);
    }

    public ReferenceKernel {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public void run(P params, ExecutionState state) {
        body.run(params, state);
    }

    @Override
    public String toString() {
        return name;
    }
}
