package dev.whittle.runtime;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Time per operator of a {@link CompiledModel}, filled by
 * {@link ExecutionContext#invoke(OpProfile)}; {@link ExecutionContext#invoke()} never touches
 * it, so profiling costs nothing when off. Also names each operator's kernel, which is how
 * tests and {@code whittle bench} see what dispatch chose.
 *
 * <p>Not thread-safe: one profile per context.
 */
public final class OpProfile {
    /**
     * One operator that runs per invoke.
     *
     * @param node position among the operators that run per invoke (folded ones excluded)
     * @param op the operator's implementation, e.g. {@code FullyConnected}
     * @param kernel the kernel's name, or {@code -} when the op has no named kernel
     * @param nanos total time in this operator over the profiled invokes
     * @param invokes number of profiled invokes
     */
    public record Entry(int node, String op, String kernel, long nanos, long invokes) {
        /** Mean milliseconds per invoke. */
        public double meanMillis() {
            return invokes == 0 ? 0 : nanos / 1e6 / invokes;
        }
    }

    /**
     * What dispatch chose for one operator, and why.
     *
     * @param node position among the operators that run per invoke
     * @param op the operator's implementation, e.g. {@code Conv2D}
     * @param kernel the kernel's name, or {@code -}
     * @param why why this kernel (weight format chosen or refused), or the empty string
     * @param weightBytes bytes of weights the kernel keeps resident, or -1 when the op has none
     */
    public record KernelChoice(int node, String op, String kernel, String why, long weightBytes) {
    }

    private final String[] ops;
    private final String[] kernels;
    private final long[] nanos;
    private long invokes;

    private OpProfile(CompiledModel model) {
        int n = model.operatorCount();
        ops = new String[n];
        kernels = new String[n];
        nanos = new long[n];
        for (int i = 0; i < n; i++) {
            ops[i] = model.nodeOpName(i);
            kernels[i] = kernelName(model.nodePrepared(i));
        }
    }

    /** An empty profile for {@code model}'s operators. */
    public static OpProfile of(CompiledModel model) {
        return new OpProfile(Objects.requireNonNull(model, "model"));
    }

    /** The kernel names of {@code model}'s operators, in execution order. */
    public static List<String> kernelNames(CompiledModel model) {
        OpProfile p = of(model);
        return List.of(p.kernels);
    }

    /** For each operator that runs per invoke, its kernel, why, and its resident weight bytes. */
    public static List<KernelChoice> kernelChoices(CompiledModel model) {
        OpProfile p = of(model);
        List<KernelChoice> out = new ArrayList<>(p.ops.length);
        for (int i = 0; i < p.ops.length; i++) {
            out.add(new KernelChoice(i, p.ops[i], p.kernels[i], model.nodeKernelNote(i), model.nodeWeightBytes(i)));
        }
        return out;
    }

    void add(int node, long elapsed) {
        nanos[node] += elapsed;
    }

    void finishInvoke() {
        invokes++;
    }

    /** Clears the times (e.g. after warm-up). */
    public void reset() {
        java.util.Arrays.fill(nanos, 0);
        invokes = 0;
    }

    /** One entry per operator, in execution order. */
    public List<Entry> entries() {
        List<Entry> out = new ArrayList<>(ops.length);
        for (int i = 0; i < ops.length; i++) {
            out.add(new Entry(i, ops[i], kernels[i], nanos[i], invokes));
        }
        return out;
    }

    /**
     * The name of the {@link Kernel} an op's prepared record holds (the convention of the ops
     * in {@code runtime/ops}), or {@code -}. Read once, at profile creation.
     */
    private static String kernelName(Object prepared) {
        if (prepared instanceof Kernel<?> k) {
            return k.name();
        }
        if (prepared != null && prepared.getClass().isRecord()) {
            for (RecordComponent c : prepared.getClass().getRecordComponents()) {
                if (Kernel.class.isAssignableFrom(c.getType())) {
                    try {
                        var accessor = c.getAccessor();
                        accessor.setAccessible(true);
                        Object k = accessor.invoke(prepared);
                        return k == null ? "-" : ((Kernel<?>) k).name();
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        return "-";
                    }
                }
            }
        }
        return "-";
    }
}
