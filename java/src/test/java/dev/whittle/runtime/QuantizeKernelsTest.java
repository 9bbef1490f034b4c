package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * QUANTIZE float32 to int8/uint8/int16 ({@code f32_qs8_quantize__java}, {@code __avx2},
 * {@code __avx512vnni}, qu8 and qs16 the same) against {@code UnaryKernels.quantize}, byte for
 * byte, on every available path of {@link ElementwiseFamilies#QUANTIZED_UNARY}, 1 and 3 threads,
 * the dispatched kernel's name asserted. Inputs: values whose quotient by the scale lands on,
 * just below and just above every half around the output range and the zero point; the int32
 * limits (the reference's saturating cast, then its wrapping addition of the zero point);
 * NaN, +-Inf, +-0, denormals, +-1e30, +-Float.MAX_VALUE; random sweeps over sizes 1..70 and
 * large ones split over threads, zero points at both ends of each type, tiny, huge and
 * denormal scales.
 */
class QuantizeKernelsTest {
    private static final TensorType[] OUT = {TensorType.INT8, TensorType.UINT8, TensorType.INT16};

    @AfterEach
    void clear() {
        System.clearProperty(KernelPath.PROPERTY);
    }

    private static String prefix(TensorType t) {
        return switch (t) {
            case INT8 -> "qs8";
            case UINT8 -> "qu8";
            default -> "qs16";
        };
    }

    private static int lo(TensorType t) {
        return switch (t) {
            case INT8 -> -128;
            case UINT8 -> 0;
            default -> -32768;
        };
    }

    private static int hi(TensorType t) {
        return switch (t) {
            case INT8 -> 127;
            case UINT8 -> 255;
            default -> 32767;
        };
    }

    private static Model quantize(TensorType out, float scale, int zp, int n) {
        ModelBuilder b = new ModelBuilder("quantize");
        int[] shape = {1, n};
        int x = b.input("x", TensorType.FLOAT32, shape);
        b.output(b.op(BuiltinOperator.QUANTIZE, 1, null, new int[] {x},
                TensorSpec.quantized("y", out, Quantization.perTensor(scale, zp), shape))[0]);
        return b.build();
    }

    private static TensorData floats(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < v.length; i++) {
            b.putFloat(4 * i, v[i]);
        }
        return new TensorData(TensorType.FLOAT32, new int[] {1, v.length}, b);
    }

    /** Checks every path; returns how many ran their own kernel. */
    private static int check(String label, TensorType out, float scale, int zp, float[] values) {
        Model m = quantize(out, scale, zp, values.length);
        return FastKernelHarness.checkPaths(label + " " + out + " scale " + scale + " zp " + zp + " n "
                + values.length, m, List.of(floats(values)), ElementwiseFamilies.QUANTIZED_UNARY,
                "f32_" + prefix(out) + "_quantize", false);
    }

    /** The values that decide rounding and saturation for {@code scale} and {@code zp}. */
    private static float[] adversarial(TensorType out, float scale, int zp) {
        List<Float> v = new ArrayList<>();
        for (float f : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, -Float.MIN_NORMAL, 1e30f, -1e30f,
                Float.MAX_VALUE, -Float.MAX_VALUE, 0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f,
                Float.intBitsToFloat(0x7fc12345), Float.intBitsToFloat(0xffc00001)}) {
            v.add(f);
        }
        // quotients k + 1/2 and their neighbours around both ends of the range and the zero point,
        // and near the int32 limits of the reference's cast
        List<Double> ks = new ArrayList<>();
        for (int d = -3; d <= 3; d++) {
            ks.add((double) (lo(out) - zp + d));
            ks.add((double) (hi(out) - zp + d));
            ks.add((double) d);
        }
        for (double k : new double[] {2147483647.0, 2147483646.0, -2147483648.0, -2147483649.0, 2147483648.0,
                4294967296.0, -4294967296.0, 1 << 24, -(1 << 24), 1L << 40}) {
            ks.add(k);
        }
        for (double k : ks) {
            for (double h : new double[] {-0.5, 0, 0.5}) {
                float x = (float) ((k + h) * scale);
                float up = x;
                float down = x;
                v.add(x);
                for (int j = 0; j < 3; j++) {
                    up = Math.nextUp(up);
                    down = Math.nextDown(down);
                    v.add(up);
                    v.add(down);
                }
            }
        }
        float[] r = new float[v.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = v.get(i);
        }
        return r;
    }

    private static float[] random(int n, float scale, int range, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            // mostly inside the output range, some beyond it, some exactly on halves
            double q = r.nextDouble(-1.25, 1.25) * range;
            if (i % 7 == 3) {
                q = Math.floor(q) + 0.5;
            }
            v[i] = (float) (q * scale);
        }
        return v;
    }

    @Test
    void adversarialValues() {
        int own = 0;
        for (TensorType out : OUT) {
            int[] zps = out == TensorType.INT16 ? new int[] {0, -32768, 32767, 5}
                    : new int[] {lo(out), hi(out), lo(out) + 100};
            for (float scale : new float[] {1f, 0.5f, 1 / 255f, 0.0078125f, 3.0517578e-5f, 0.1f, 0.3333333f,
                    1e-30f, 1e30f, Float.MIN_VALUE, 1e-39f, 7.77e-3f, 2.9f, 0.0213f, 1.7e-5f, 3.0518044e-5f}) {
                for (int zp : zps) {
                    own += check("adversarial", out, scale, zp, adversarial(out, scale, zp));
                }
            }
        }
        assertTrue(own > 0, "ran " + own);
    }

    @Test
    void sizesAndZeroPoints() {
        int own = 0;
        long seed = 1;
        for (TensorType out : OUT) {
            int range = hi(out) - lo(out) + 1;
            for (int n = 1; n <= 70; n++) {
                int zp = n % 3 == 0 ? lo(out) : n % 3 == 1 ? hi(out) : lo(out) + range / 2 + n;
                if (out == TensorType.INT16 && n % 2 == 0) {
                    zp = 0;
                }
                float scale = n % 4 == 0 ? 0.0213f : n % 4 == 1 ? 1.7e-5f : n % 4 == 2 ? 2.9f : 0.00390625f;
                own += check("random", out, scale, zp, random(n, scale, range, seed++));
            }
        }
        assertTrue(own > 0, "ran " + own);
    }

    /** Large tensors: split over 3 threads (the input of a 224x224x3 model among them). */
    @Test
    void largeTensorsOverThreads() {
        int own = 0;
        long seed = 100;
        for (TensorType out : OUT) {
            int range = hi(out) - lo(out) + 1;
            for (int n : new int[] {65537, 150528, 200003}) {
                float scale = out == TensorType.INT16 ? 3.0518044e-5f : 0.0078431377f;
                int zp = out == TensorType.INT16 ? 0 : out == TensorType.INT8 ? -1 : 128;
                float[] v = random(n, scale, range, seed++);
                float[] a = adversarial(out, scale, zp);
                System.arraycopy(a, 0, v, n - a.length - 3, a.length);
                own += check("large", out, scale, zp, v);
            }
        }
        assertTrue(own > 0, "ran " + own);
    }
}
