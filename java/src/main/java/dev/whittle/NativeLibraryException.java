package dev.whittle;

/**
 * A native library that an operation needs (Whittle's own kernels, TFLite, a delegate) is
 * missing or cannot be loaded. The message says which library and how to get it.
 */
public class NativeLibraryException extends WhittleException {
    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
