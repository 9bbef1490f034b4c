package dev.whittle.quantize;

import dev.whittle.InvalidInputException;

import java.util.Locale;
import java.util.Objects;

/**
 * What {@link Quantizer} makes.
 *
 * @param mode the scheme
 * @param io the type of the model's inputs and outputs (int8 mode only; float adds QUANTIZE/DEQUANTIZE at the edges)
 * @param method how activation ranges are estimated (int8 and 16x8)
 * @param fcPerChannel FULLY_CONNECTED weights per output channel (axis 0) instead of per tensor
 * @param strict refuse (instead of leaving float) an operator that cannot be quantized
 */
public record QuantizeOptions(Mode mode, IoType io, RangeMethod method, boolean fcPerChannel, boolean strict,
        int dynamicMinElements) {
    /**
     * Dynamic range mode leaves weights with fewer elements than {@code dynamicMinElements}
     * float. TensorFlow's converter uses 1024 ({@link #TFLITE_DYNAMIC_MIN_ELEMENTS}); Whittle's
     * default is 0 (every weight quantized) because on MobileNet v1 0.25 the float layers cost
     * 6,896 bytes (27.50% -> 27.87% of the float file), against the size target.
     */
    public static final int DEFAULT_DYNAMIC_MIN_ELEMENTS = 0;

    /** TensorFlow converter's {@code weights_min_num_elements} for dynamic range quantization. */
    public static final int TFLITE_DYNAMIC_MIN_ELEMENTS = 1024;

    /** With {@link #DEFAULT_DYNAMIC_MIN_ELEMENTS}. */
    public QuantizeOptions(Mode mode, IoType io, RangeMethod method, boolean fcPerChannel, boolean strict) {
        this(mode, io, method, fcPerChannel, strict, DEFAULT_DYNAMIC_MIN_ELEMENTS);
    }

    /** The quantization schemes, as TFLite's converter names them. */
    public enum Mode {
        /** float16 weights, dequantized by DEQUANTIZE ops; activations stay float32. */
        FLOAT16,
        /** int8 weights for TFLite's hybrid kernels; activations float32, quantized on the fly. */
        DYNAMIC,
        /** int8 weights and activations, int32 biases. */
        INT8,
        /** int16 activations (zero point 0), int8 weights, int64 biases. */
        INT16X8;

        public static Mode parse(String s) {
            for (Mode m : values()) {
                if (m.cliName().equalsIgnoreCase(s)) {
                    return m;
                }
            }
            throw new InvalidInputException("unknown mode '" + s + "' (known: float16, dynamic, int8, int16x8)");
        }

        public String cliName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Whether the mode needs calibration data. */
        public boolean needsCalibration() {
            return this == INT8 || this == INT16X8;
        }
    }

    /** Input and output types of a full-integer model. */
    public enum IoType {
        FLOAT, INT8, UINT8;

        public static IoType parse(String s) {
            for (IoType t : values()) {
                if (t.name().equalsIgnoreCase(s)) {
                    return t;
                }
            }
            throw new InvalidInputException("unknown --io '" + s + "' (known: float, int8, uint8)");
        }
    }

    public QuantizeOptions {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(io, "io");
        Objects.requireNonNull(method, "method");
        if (dynamicMinElements < 0) {
            throw new InvalidInputException("--dynamic-min-elements must be >= 0, got " + dynamicMinElements);
        }
        if (io != IoType.FLOAT && mode != Mode.INT8) {
            throw new InvalidInputException("--io " + io.name().toLowerCase(Locale.ROOT) + " applies to --mode int8 only; "
                    + mode.cliName() + " models keep float inputs and outputs");
        }
    }

    /** Float I/O, {@link RangeMethod#DEFAULT} ranges, per-tensor FULLY_CONNECTED, not strict. */
    public static QuantizeOptions of(Mode mode) {
        return new QuantizeOptions(mode, IoType.FLOAT, RangeMethod.DEFAULT, false, false);
    }

    public QuantizeOptions withIo(IoType t) {
        return new QuantizeOptions(mode, t, method, fcPerChannel, strict, dynamicMinElements);
    }

    public QuantizeOptions withMethod(RangeMethod m) {
        return new QuantizeOptions(mode, io, m, fcPerChannel, strict, dynamicMinElements);
    }

    public QuantizeOptions withFcPerChannel(boolean b) {
        return new QuantizeOptions(mode, io, method, b, strict, dynamicMinElements);
    }

    /** Dynamic range mode: weights with fewer elements stay float (0 quantizes every weight). */
    public QuantizeOptions withDynamicMinElements(int n) {
        return new QuantizeOptions(mode, io, method, fcPerChannel, strict, n);
    }

    public QuantizeOptions withStrict(boolean b) {
        return new QuantizeOptions(mode, io, method, fcPerChannel, b, dynamicMinElements);
    }
}
