package dev.whittle;

/**
 * An execution backend (the TFLite interpreter, a delegate) reported an error. The message
 * carries the backend's own text, for example TFLite's error reporter output.
 */
public class BackendException extends WhittleException {
    public BackendException(String message) {
        super(message);
    }

    public BackendException(String message, Throwable cause) {
        super(message, cause);
    }
}
