package dev.whittle.tflite;

import dev.whittle.InvalidInputException;

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

    private static final TfliteOptions DEFAULTS = new TfliteOptions(1, true, false);

    private final int threads;
    private final boolean useXnnpack;
    private final boolean preserveAllTensors;

    private TfliteOptions(int threads, boolean useXnnpack, boolean preserveAllTensors) {
        this.threads = threads;
        this.useXnnpack = useXnnpack;
        this.preserveAllTensors = preserveAllTensors;
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
        return new TfliteOptions(threads, useXnnpack, preserveAllTensors);
    }

    /**
     * Whether TFLite may apply its default XNNPACK delegate (the {@code BuiltinOpResolver}),
     * or must run its reference/optimized builtin kernels only
     * ({@code BuiltinOpResolverWithoutDefaultDelegates}).
     */
    public TfliteOptions useXnnpack(boolean useXnnpack) {
        return new TfliteOptions(threads, useXnnpack, preserveAllTensors);
    }

    /**
     * Whether every tensor keeps its own memory, so that intermediate tensors can be read
     * after {@link TfliteInterpreter#invoke()}. Costs memory. Tensors computed inside a
     * delegate (XNNPACK) are not written back; turn XNNPACK off as well to read them.
     */
    public TfliteOptions preserveAllTensors(boolean preserveAllTensors) {
        return new TfliteOptions(threads, useXnnpack, preserveAllTensors);
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
                + ", preserveAllTensors=" + preserveAllTensors + "]";
    }
}
