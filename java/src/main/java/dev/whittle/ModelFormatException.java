package dev.whittle;

/**
 * The bytes given as a {@code .tflite} model are not a valid TFLite flatbuffer, or they
 * describe an inconsistent graph (an index out of range, a buffer of the wrong size, a cycle).
 */
public class ModelFormatException extends WhittleException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
