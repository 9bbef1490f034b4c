package dev.whittle.tflite;

import dev.whittle.BackendException;

/**
 * A TFLite delegate could not be created or applied, or a model needs one it was not given.
 * {@link #reason()} says which; the message says what to do. A missing delegate library is a
 * {@link dev.whittle.NativeLibraryException} instead.
 */
public final class DelegateException extends BackendException {
    /** Why. */
    public enum Reason {
        /** No device of the kind asked for (no Edge TPU connected, or fewer than the index). */
        NO_DEVICE,
        /** The device exists but the library refused to open it (busy, or an option refused). */
        DEVICE_UNAVAILABLE,
        /** The delegate's library returned no delegate. */
        CREATE_FAILED,
        /** TFLite could not apply the delegate to the graph. */
        APPLY_FAILED,
        /** The model holds a custom op that only a delegate runs (a compiled Edge TPU model). */
        DELEGATE_REQUIRED
    }

    private final Reason reason;

    public DelegateException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
