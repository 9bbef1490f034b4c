package dev.whittle;

/**
 * An input given to a model or a command is unusable: wrong shape or type, a truncated
 * {@code .npy} file, an image that cannot be decoded, a bad option value.
 */
public class InvalidInputException extends WhittleException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
