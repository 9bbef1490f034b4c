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
 *
 * <p>One exception keeps weight sharing intact: when a tensor holds few distinct values (at
 * most 255) shared across channels, as weight clustering per layer leaves it, and per-channel scales would turn them
 * into more distinct codes than there are values, every channel gets the same scale
 * ({@code max|w| / 127} of the whole tensor, still stored per axis). Rounding is then one
 * function over the tensor, so N shared values give at most N codes, and 0.0 stays code 0.
 * Per-channel clustered weights need no exception: rounding with a channel's own scale is a
 * function over that channel, so N values per channel stay at most N codes per channel.
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
        Weights perChannel = symmetricInt8(w, shape, axis, false);
        if (axis < 0 || perChannel.scales().length < 2) {
            return perChannel;
        }
        int values = sharedValues(w, shape, axis, 255);
        if (values < 0 || distinctCodes(perChannel.data()) <= values) {
            return perChannel;
        }
        return symmetricInt8(w, shape, axis, true);
    }

    /**
     * The number of distinct values of {@code w} when there are at most {@code limit} and some
     * nonzero value occurs in two channels (weights shared across channels, as clustering per
     * layer leaves them; plain float weights never repeat exactly), else -1.
     */
    static int sharedValues(float[] w, int[] shape, int axis, int limit) {
        long inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        int channels = shape[axis];
        java.util.HashMap<Integer, Integer> channelOf = new java.util.HashMap<>();
        boolean shared = false;
        for (int i = 0; i < w.length; i++) {
            // +0.0 and -0.0 are one value: both quantize to code 0
            int bits = Float.floatToIntBits(w[i] == 0 ? 0f : w[i]);
            int c = (int) ((i / inner) % channels);
            Integer first = channelOf.putIfAbsent(bits, c);
            shared |= first != null && first != c && w[i] != 0;
            if (channelOf.size() > limit) {
                return -1;
            }
        }
        return shared ? channelOf.size() : -1;
    }

    private static int distinctCodes(byte[] q) {
        boolean[] seen = new boolean[256];
        int n = 0;
        for (byte b : q) {
            if (!seen[b & 0xff]) {
                seen[b & 0xff] = true;
                n++;
            }
        }
        return n;
    }

    /**
     * @param shared one scale for all channels (repeated per channel when {@code axis >= 0})
     */
    private static Weights symmetricInt8(float[] w, int[] shape, int axis, boolean shared) {
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
        if (shared) {
            double all = 0;
            for (double a : maxAbs) {
                all = Math.max(all, a);
            }
            java.util.Arrays.fill(maxAbs, all);
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
