package dev.whittle;

/**
 * Root of Whittle's exception hierarchy. Every failure that Whittle detects (a corrupt model,
 * an unsupported operator, a bad input, a backend error) is reported as a subclass of this
 * unchecked exception, with a message that names the problem.
 */
public class WhittleException extends RuntimeException {
    public WhittleException(String message) {
        super(message);
    }

    public WhittleException(String message, Throwable cause) {
        super(message, cause);
    }
}
