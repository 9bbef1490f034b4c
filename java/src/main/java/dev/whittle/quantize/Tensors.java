package dev.whittle.quantize;

import dev.whittle.InvalidInputException;
import dev.whittle.TensorData;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Conversions between {@link TensorData} and float arrays, and TFLite's rounding. */
final class Tensors {
    private Tensors() {
    }

    /** Round half away from zero: {@code std::round}, which TFLite's quantizers use. */
    static double round(double v) {
        return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
    }

    /** The values of a float32 tensor. */
    static float[] floats(TensorData t) {
        if (t.type() != TensorType.FLOAT32) {
            throw new IllegalArgumentException("expected float32, got " + t);
        }
        float[] v = new float[Math.toIntExact(t.elementCount())];
        t.data().asFloatBuffer().get(v);
        return v;
    }

    /** Real values of any numeric tensor: float types as they are, integer types dequantized when {@code q} is affine. */
    static float[] real(TensorData t, Quantization q) {
        if (t.type() == TensorType.FLOAT32) {
            return floats(t);
        }
        float[] v = new float[Math.toIntExact(t.elementCount())];
        boolean affine = q != null && q.isAffine() && t.type() != TensorType.FLOAT16;
        double scale = affine ? q.scalarScale() : 1;
        long zp = affine ? q.scalarZeroPoint() : 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) ((t.getDouble(i) - zp) * scale);
        }
        return v;
    }

    static TensorData fromFloats(float[] v, int[] shape) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return new TensorData(TensorType.FLOAT32, shape, b);
    }

    /**
     * Real values into a tensor of {@code type}: float32 as is, INT8/UINT8/INT16 quantized with
     * {@code q} (per tensor) as TFLite's QUANTIZE does.
     */
    static TensorData encode(float[] v, TensorType type, int[] shape, Quantization q, String what) {
        if (type == TensorType.FLOAT32) {
            return fromFloats(v, shape);
        }
        long lo;
        long hi;
        switch (type) {
            case INT8 -> { lo = -128; hi = 127; }
            case UINT8 -> { lo = 0; hi = 255; }
            case INT16 -> { lo = -32768; hi = 32767; }
            default -> throw new InvalidInputException(what + ": cannot feed a " + type + " input from real values");
        }
        if (q == null || !q.isAffine()) {
            throw new InvalidInputException(what + ": the " + type + " input has no quantization parameters");
        }
        double scale = q.scalarScale();
        long zp = q.scalarZeroPoint();
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(type.bytesFor(v.length))).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            long x = Math.min(hi, Math.max(lo, (long) round(f / scale) + zp));
            if (type == TensorType.INT16) {
                b.putShort((short) x);
            } else {
                b.put((byte) x);
            }
        }
        b.flip();
        return new TensorData(type, shape, b);
    }

    static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** Signal-to-quantization-noise ratio in dB; +Infinity when the two are equal. */
    static double sqnr(double signal, double noise) {
        if (noise == 0) {
            return Double.POSITIVE_INFINITY;
        }
        if (signal == 0) {
            return Double.NEGATIVE_INFINITY;
        }
        return 10 * Math.log10(signal / noise);
    }
}
