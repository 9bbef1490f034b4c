package dev.whittle.tflite;

import dev.whittle.InvalidInputException;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Settings for a {@link TfliteInterpreter}. Instances are immutable; each setter returns a
 * modified copy, so a shared instance can be reused safely.
 *
 * <pre>{@code
 * TfliteOptions opts = TfliteOptions.defaults().threads(2).useXnnpack(false);
 * }</pre>
 */
public final class TfliteOptions {
    /** Thread count that lets TFLite pick its own default. */
    public static final int DEFAULT_THREADS = -1;

    private static final TfliteOptions DEFAULTS = new TfliteOptions(1, true, false, List.of(), List.of());

    private final int threads;
    private final boolean useXnnpack;
    private final boolean preserveAllTensors;
    private final List<Delegate> delegates;
    private final List<DelegateSpec> delegateSpecs;

    private TfliteOptions(int threads, boolean useXnnpack, boolean preserveAllTensors, List<Delegate> delegates,
            List<DelegateSpec> delegateSpecs) {
        this.threads = threads;
        this.useXnnpack = useXnnpack;
        this.preserveAllTensors = preserveAllTensors;
        this.delegates = List.copyOf(delegates);
        this.delegateSpecs = List.copyOf(delegateSpecs);
    }

    /** One thread, XNNPACK on, intermediates not preserved. */
    public static TfliteOptions defaults() {
        return DEFAULTS;
    }

    /**
     * Threads for TFLite's kernels and for the XNNPACK delegate.
     *
     * @param threads at least 1, or {@link #DEFAULT_THREADS} (-1) for TFLite's own choice
     * @throws InvalidInputException for 0 or a value below -1
     */
    public TfliteOptions threads(int threads) {
        if (threads < 1 && threads != DEFAULT_THREADS) {
            throw new InvalidInputException("threads must be >= 1, or -1 for TFLite's default; got " + threads);
        }
        return new TfliteOptions(threads, useXnnpack, preserveAllTensors, delegates, delegateSpecs);
    }

    /**
     * Whether TFLite may apply its default XNNPACK delegate (the {@code BuiltinOpResolver}),
     * or must run its reference/optimized builtin kernels only
     * ({@code BuiltinOpResolverWithoutDefaultDelegates}).
     */
    public TfliteOptions useXnnpack(boolean useXnnpack) {
        return new TfliteOptions(threads, useXnnpack, preserveAllTensors, delegates, delegateSpecs);
    }

    /**
     * Whether every tensor keeps its own memory, so that intermediate tensors can be read
     * after {@link TfliteInterpreter#invoke()}. Costs memory. Tensors computed inside a
     * delegate (XNNPACK) are not written back; turn XNNPACK off as well to read them.
     */
    public TfliteOptions preserveAllTensors(boolean preserveAllTensors) {
        return new TfliteOptions(threads, useXnnpack, preserveAllTensors, delegates, delegateSpecs);
    }

    /**
     * Adds a delegate that the caller owns and may share between interpreters (and threads):
     * each interpreter built with these options holds a reference until it closes, so the
     * delegate is freed only after the last of them (see {@link Delegate}). Delegates are
     * applied in the order added, before TFLite's default XNNPACK.
     */
    public TfliteOptions withDelegate(Delegate delegate) {
        Objects.requireNonNull(delegate, "delegate");
        List<Delegate> d = new ArrayList<>(delegates);
        d.add(delegate);
        return new TfliteOptions(threads, useXnnpack, preserveAllTensors, d, delegateSpecs);
    }

    /**
     * Adds a delegate by spec ({@code xnnpack,threads=2}, {@code external:PATH,k=v},
     * {@code edgetpu:usb,Performance=Max}; see {@link DelegateSpec}): each interpreter built
     * with these options creates its own and frees it when it closes. Applied after the
     * {@link #withDelegate(Delegate) shared} ones. An {@code xnnpack} spec replaces TFLite's
     * default XNNPACK.
     *
     * @throws InvalidInputException for a malformed spec, before any native code runs
     */
    public TfliteOptions withDelegate(String spec) {
        List<DelegateSpec> d = new ArrayList<>(delegateSpecs);
        d.add(DelegateSpec.parse(spec));
        return new TfliteOptions(threads, useXnnpack, preserveAllTensors, delegates, d);
    }

    /** The shared delegates, in order. */
    public List<Delegate> delegates() {
        return delegates;
    }

    /** The delegates each interpreter creates for itself, in order. */
    public List<DelegateSpec> delegateSpecs() {
        return delegateSpecs;
    }

    /** Whether an explicit XNNPACK delegate is among the delegates (then the default one is off). */
    boolean hasExplicitXnnpack() {
        return delegates.stream().anyMatch(d -> d.spec().kind() == DelegateSpec.Kind.XNNPACK)
                || delegateSpecs.stream().anyMatch(d -> d.kind() == DelegateSpec.Kind.XNNPACK);
    }

    public int threads() {
        return threads;
    }

    public boolean useXnnpack() {
        return useXnnpack;
    }

    public boolean preserveAllTensors() {
        return preserveAllTensors;
    }

    @Override
    public String toString() {
        return "TfliteOptions[threads=" + threads + ", useXnnpack=" + useXnnpack
                + ", preserveAllTensors=" + preserveAllTensors
                + (delegates.isEmpty() && delegateSpecs.isEmpty() ? "" : ", delegates="
                + delegates.stream().map(Delegate::description).toList() + delegateSpecs) + "]";
    }
}
