package dev.whittle.quantize;

import dev.whittle.model.Model;
import dev.whittle.model.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * TFLite's weight and bias arithmetic: symmetric int8 in [-127, 127] with
 * {@code scale = max|w| / 127} per channel or per tensor (a channel of zeros gets scale 1, so
 * no scale is 0), and biases as {@code round(b / (input_scale * weight_scale))} in int32 or
 * int64, each rounded half away from zero as {@code std::round} does.
 */
final class WeightQuantizer {
    private WeightQuantizer() {
    }

    /** Quantized weights, their scales (one per channel, or one) and the SQNR of the result. */
    record Weights(byte[] data, float[] scales, int axis, double sqnrDb) {
    }

    static float[] floats(Model m, Tensor t) {
        ByteBuffer b = m.constantData(t).order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[Math.toIntExact(t.elementCount())];
        b.asFloatBuffer().get(v);
        return v;
    }

    /**
     * @param axis the channel axis, or -1 for one scale over the tensor
     */
    static Weights symmetricInt8(float[] w, int[] shape, int axis) {
        int channels = axis < 0 ? 1 : shape[axis];
        long inner = 1;
        if (axis >= 0) {
            for (int d = axis + 1; d < shape.length; d++) {
                inner *= shape[d];
            }
        }
        double[] maxAbs = new double[channels];
        for (int i = 0; i < w.length; i++) {
            int c = axis < 0 ? 0 : (int) ((i / inner) % channels);
            maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[i]));
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            scales[c] = maxAbs[c] == 0 ? 1f : (float) (maxAbs[c] / 127.0);
        }
        byte[] q = new byte[w.length];
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < w.length; i++) {
            int c = axis < 0 ? 0 : (int) ((i / inner) % channels);
            long v = (long) Tensors.round(w[i] / scales[c]);
            v = Math.max(-127, Math.min(127, v));
            q[i] = (byte) v;
            double back = v * (double) scales[c];
            signal += (double) w[i] * w[i];
            noise += (w[i] - back) * (w[i] - back);
        }
        return new Weights(q, scales, axis, Tensors.sqnr(signal, noise));
    }

    /** The bias scale TFLite checks against {@code input_scale * filter_scale} (computed in double, stored as float). */
    static float[] biasScales(float inputScale, float[] weightScales) {
        float[] s = new float[weightScales.length];
        for (int c = 0; c < s.length; c++) {
            s[c] = (float) ((double) inputScale * (double) weightScales[c]);
        }
        return s;
    }

    /** Biases as int32 (4 bytes each) or int64 (8 bytes), little-endian. */
    static byte[] bias(float[] b, float[] scales, boolean int64) {
        ByteBuffer out = ByteBuffer.allocate(b.length * (int64 ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < b.length; i++) {
            double s = scales.length == 1 ? scales[0] : scales[i];
            double q = Tensors.round(b[i] / s);
            if (int64) {
                out.putLong((long) q);
            } else {
                out.putInt((int) Math.max(-Integer.MAX_VALUE, Math.min(Integer.MAX_VALUE, q)));
            }
        }
        return out.array();
    }

    static byte[] float16(float[] v) {
        ByteBuffer out = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            out.putShort(Float.floatToFloat16(f));
        }
        return out.array();
    }

    static double float16Sqnr(float[] v) {
        double signal = 0;
        double noise = 0;
        for (float f : v) {
            double d = f - Float.float16ToFloat(Float.floatToFloat16(f));
            signal += (double) f * f;
            noise += d * d;
        }
        return Tensors.sqnr(signal, noise);
    }
}
