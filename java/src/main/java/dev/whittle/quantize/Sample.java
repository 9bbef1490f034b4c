package dev.whittle.quantize;

import dev.whittle.TensorData;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;

/**
 * One calibration or evaluation sample for a model's input. A sample is turned into a tensor
 * only when the input's type, shape and quantization are known, so the same sample can feed
 * a float model and its quantized version (images become raw bytes for a UINT8 input, as the
 * quantized MobileNets expect; real values are quantized with the input's parameters).
 */
public interface Sample {
    /** Where the sample came from (a file name, {@code name.npy[3]}, {@code random[5]}...). */
    String name();

    /**
     * The sample as a value for an input of {@code type} and {@code shape}.
     *
     * @param quantization the input's quantization (null for float inputs)
     * @throws dev.whittle.InvalidInputException when the sample cannot fill that input
     */
    TensorData toTensor(TensorType type, int[] shape, Quantization quantization);
}
