package dev.whittle.optimize;

import dev.whittle.model.Model;
import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Keeps each output channel's mean pre-activation over the calibration data when its weights
 * change (Nagel et al., "Data-Free Quantization Through Weight Equalization and Bias
 * Correction", 2019, section 4.2, with measured instead of batch-norm-derived means):
 * {@code bias[o] -= sum_t (w'[o,t] - w[o,t]) * E[x_t]}. Float32 biases change directly; int32
 * biases of quantized layers change by the rounded amount in units of their own scale
 * ({@code input_scale * weight_scale[o]}).
 */
final class BiasCorrection {
    private BiasCorrection() {
    }

    /** Corrects the bias of {@code after.layer}; false when the layer has no bias this can change. */
    static boolean apply(Model model, WeightData before, WeightData after, ActivationStats stats) {
        return apply(model, before, stats, after, stats);
    }

    /**
     * The general form for a layer whose input has changed too (earlier layers were changed):
     * {@code bias[o] -= sum_t (w'[o,t] * E[x'_t] - w[o,t] * E[x_t])}, with {@code x} the input in
     * the original model and {@code x'} in the changed one, so the mean output matches the
     * original model's.
     */
    static boolean apply(Model model, WeightData before, ActivationStats original, WeightData after,
                         ActivationStats changed) {
        Layer l = before.layer;
        if (l.bias() < 0 || original == null || changed == null) {
            return false;
        }
        Tensor b = model.subgraph(l.subgraph()).tensor(l.bias());
        int outs = before.outputChannels();
        if (b.elementCount() != outs || (b.type() != TensorType.FLOAT32 && b.type() != TensorType.INT32)) {
            return false;
        }
        double[] delta = new double[outs];
        for (int i = 0; i < before.size(); i++) {
            int t = before.tap(i);
            double d = after.values[i] * changed.mean[t] - before.values[i] * original.mean[t];
            if (d != 0) {
                delta[before.outputChannel(i)] += d * before.scale(i);
            }
        }
        ByteBuffer src = model.constantData(b);
        ByteBuffer dst = ByteBuffer.allocate(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        if (b.type() == TensorType.FLOAT32) {
            for (int o = 0; o < outs; o++) {
                dst.putFloat(o * 4, (float) (src.getFloat(o * 4) - delta[o]));
            }
        } else {
            Quantization q = b.quantization();
            if (q == null || !q.isAffine()) {
                return false;
            }
            float[] scales = q.scale();
            for (int o = 0; o < outs; o++) {
                double s = scales.length == 1 ? scales[0] : scales[o];
                long v = src.getInt(o * 4) - Math.round(delta[o] / s);
                dst.putInt(o * 4, (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v)));
            }
        }
        if (WeightData.sharedBuffer(model, b.buffer())) {
            b.setBuffer(model.addBuffer(new dev.whittle.model.Buffer(dst)));
        } else {
            model.setBufferData(b.buffer(), dst);
        }
        return true;
    }
}
