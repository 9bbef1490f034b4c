package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;

/** A kernel as a name and a static method, so the kernel lists stay one line per kernel. */
record NamedKernel<P>(String name, Body<P> body) implements Kernel<P> {

    /** The arithmetic: a static method of the kernel family's class. */
    @FunctionalInterface
    interface Body<P> {
        void run(P params, ExecutionState state);
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
