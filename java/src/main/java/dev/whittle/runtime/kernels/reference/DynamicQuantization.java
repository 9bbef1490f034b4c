package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.quant.CppMath;

/**
 * The run-time input quantization of TFLite's hybrid kernels ({@code tensor_utils} in
 * {@code portable_tensor_utils.cc}; x86 builds use the portable code).
 */
public final class DynamicQuantization {
    private DynamicQuantization() {
    }

    /**
     * {@code SymmetricQuantizeFloats}: range = max(|min|, |max|) in float; all zeros give
     * scale 1; else scale = range / 127 and each value is {@code TfLiteRound(v * (127 / range))}
     * clamped to [-127, 127], all in float.
     *
     * @param out scratch id receiving the quantized values at {@code from..from + count - 1}
     * @return the scale
     */
    public static float symmetric(ExecutionState s, int tensor, int from, int count, int out) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            float v = s.getFloat(tensor, from + i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        float range = Math.max(Math.abs(min), Math.abs(max));
        if (range == 0f) {
            for (int i = 0; i < count; i++) {
                s.putScratchByte(out, from + i, (byte) 0);
            }
            return 1f;
        }
        float inv = 127f / range;
        for (int i = 0; i < count; i++) {
            int q = (int) CppMath.round(s.getFloat(tensor, from + i) * inv);
            s.putScratchByte(out, from + i, (byte) Math.min(127, Math.max(-127, q)));
        }
        return range / 127f;
    }

    /**
     * {@code AsymmetricQuantizeFloats}: rmin = min(0, min), rmax = max(0, max) in double; equal
     * gives scale 1, offset 0 and zeros; else scale = (rmax - rmin) / 255 in double, the zero
     * point taken from whichever end has the smaller error, nudged into [-128, 127] with
     * {@code round} (halves away from zero); the scale is stored as float and each value is
     * {@code TfLiteRound(offset + v * (1f / scale))} in float, clamped to [-128, 127].
     *
     * @param h the node's scratch: receives the quantized values at {@code from..from + count - 1}
     *     and the batch's scale and zero point at element {@code batch}
     */
    public static void asymmetric(ExecutionState s, int tensor, int from, int count, HybridScratch h, int batch) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            float v = s.getFloat(tensor, from + i);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double rmin = Math.min(0.0, min);
        double rmax = Math.max(0.0, max);
        if (rmin == rmax) {
            for (int i = 0; i < count; i++) {
                s.putScratchByte(h.quantized(), from + i, (byte) 0);
            }
            s.putScratchFloat(h.scalingFactors(), batch, 1f);
            s.putScratchInt(h.offsets(), batch, 0);
            return;
        }
        double qmin = -128.0;
        double qmax = 127.0;
        double scale = (rmax - rmin) / (qmax - qmin);
        double zpFromMin = qmin - rmin / scale;
        double zpFromMax = qmax - rmax / scale;
        double errMin = Math.abs(qmin) + Math.abs(rmin / scale);
        double errMax = Math.abs(qmax) + Math.abs(rmax / scale);
        double zp = errMin < errMax ? zpFromMin : zpFromMax;
        int nudged;
        if (zp <= qmin) {
            nudged = -128;
        } else if (zp >= qmax) {
            nudged = 127;
        } else {
            nudged = (int) CppMath.round(zp);
        }
        float fscale = (float) scale;
        s.putScratchFloat(h.scalingFactors(), batch, fscale);
        s.putScratchInt(h.offsets(), batch, nudged);
        float inv = 1.0f / fscale;
        for (int i = 0; i < count; i++) {
            int q = (int) CppMath.round(nudged + s.getFloat(tensor, from + i) * inv);
            s.putScratchByte(h.quantized(), from + i, (byte) Math.min(127, Math.max(-128, q)));
        }
    }
}
