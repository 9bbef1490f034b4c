package dev.whittle;

/**
 * The model is well formed but uses something this part of Whittle cannot handle: a schema
 * version, an operator, a tensor type or a combination of them. The message names which.
 */
public class UnsupportedModelException extends WhittleException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
