package dev.whittle.runtime;

import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PRELU against TFLite's builtin kernel: float32, int8 and uint8 (TFLite 2.20 has no int16), alpha
 * of the input's shape or broadcast ([C], [1, 1, C], [W, C], a single element), alpha as a
 * constant and as a graph input, zero points at both ends of each type, identity multipliers
 * above and below 1. Integer outputs bit for bit.
 */
class PreluTest {
    private static final int[] INPUT = {2, 3, 4, 5};
    /** Alpha shapes that broadcast to {@link #INPUT}, the full shape last. */
    private static final int[][] ALPHAS = {{5}, {1, 1, 5}, {4, 5}, {1}, {3, 1, 5}, {2, 1, 1, 1}, INPUT};

    /** One PRELU; {@code alphaData} null makes alpha a second graph input. */
    static Model prelu(TensorType type, TensorType alphaType, int[] in, int[] alpha, Quantization qIn,
            Quantization qAlpha, Quantization qOut, ByteBuffer alphaData) {
        ModelBuilder b = new ModelBuilder("prelu");
        int x = qIn == null ? b.input("x", type, in) : b.input("x", type, qIn, in);
        int a;
        if (alphaData == null) {
            a = qAlpha == null ? b.input("alpha", alphaType, alpha) : b.input("alpha", alphaType, qAlpha, alpha);
        } else {
            a = b.constant("alpha", alphaType, qAlpha, alphaData, alpha);
        }
        TensorSpec y = qOut == null ? TensorSpec.of("y", type, in) : TensorSpec.quantized("y", type, qOut, in);
        b.output(b.op(BuiltinOperator.PRELU, 1, null, new int[] {x, a}, y)[0]);
        return b.build();
    }

    private static int count(int[] shape) {
        return Arrays.stream(shape).reduce(1, (p, d) -> p * d);
    }

    /** Alpha values over the type's range, the two ends included. */
    private static ByteBuffer alphaBytes(TensorType t, int[] shape, long seed) {
        int n = count(shape);
        SplittableRandom r = new SplittableRandom(seed);
        ByteBuffer b = ByteBuffer.allocate(n * (t == TensorType.FLOAT32 ? 4 : 1)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            switch (t) {
                case FLOAT32 -> b.putFloat(i * 4, (float) (r.nextDouble() * 2.5 - 0.75));
                case INT8 -> b.put(i, (byte) (i == 0 ? -128 : i == 1 ? 127 : r.nextInt(-128, 128)));
                case UINT8 -> b.put(i, (byte) (i == 0 ? 0 : i == 1 ? 255 : r.nextInt(0, 256)));
                default -> throw new IllegalArgumentException(t.toString());
            }
        }
        return b;
    }

    private static Quantization q(double scale, long zp) {
        return Quantization.perTensor(scale, zp);
    }

    /** A tolerance only 0 passes (the check is {@code diff / range < tolerance}): floats bit for bit. */
    private static final double EXACT = Double.MIN_VALUE;

    @Test
    void float32() {
        long seed = 10;
        for (int[] alpha : ALPHAS) {
            for (boolean constant : new boolean[] {true, false}) {
                Model m = prelu(TensorType.FLOAT32, TensorType.FLOAT32, INPUT, alpha, null, null, null,
                        constant ? alphaBytes(TensorType.FLOAT32, alpha, seed) : null);
                List<dev.whittle.TensorData> in = constant
                        ? List.of(Differential.randomFloat(INPUT, seed, -4, 4))
                        : List.of(Differential.randomFloat(INPUT, seed, -4, 4),
                                Differential.randomFloat(alpha, seed + 1, -2, 2));
                Differential.compare("PRELU FLOAT32 alpha " + Arrays.toString(alpha) + (constant ? " const" : " input"),
                        m, in, EXACT, 0);
                seed++;
            }
        }
        // Same shapes at rank 5 and rank 1 run flat.
        for (int[] s : new int[][] {{2, 1, 3, 2, 3}, {17}}) {
            Model m = prelu(TensorType.FLOAT32, TensorType.FLOAT32, s, s, null, null, null, null);
            Differential.compare("PRELU FLOAT32 same shape " + Arrays.toString(s), m, List.of(
                    Differential.randomFloat(s, seed, -4, 4), Differential.randomFloat(s, seed + 1, -2, 2)), EXACT, 0);
            seed++;
        }
    }

    /** {inScale, alphaScale, outScale}: identity multiplier below, at and above 1. */
    private static final double[][] SCALES = {{0.05, 0.01, 0.1}, {0.02, 0.004, 0.02}, {0.1, 0.02, 0.03},
        {0.5, 0.25, 0.0625}};

    private static void quantized(TensorType type, long[] zps) {
        long seed = type.ordinal() * 1000L;
        int k = 0;
        for (int[] alpha : ALPHAS) {
            for (double[] sc : SCALES) {
                long zIn = zps[k % zps.length];
                long zAlpha = zps[(k + 1) % zps.length];
                long zOut = zps[(k + 2) % zps.length];
                boolean constant = k % 2 == 0;
                Model m = prelu(type, type, INPUT, alpha, q(sc[0], zIn), q(sc[1], zAlpha), q(sc[2], zOut),
                        constant ? alphaBytes(type, alpha, seed) : null);
                Differential.compare("PRELU " + type + " alpha " + Arrays.toString(alpha) + (constant ? " const" : " input")
                        + " scales " + Arrays.toString(sc) + " zp " + zIn + "/" + zAlpha + "/" + zOut, m, seed);
                seed++;
                k++;
            }
        }
    }

    @Test
    void int8() {
        quantized(TensorType.INT8, new long[] {-128, 127, 0, -5, 3});
    }

    @Test
    void uint8() {
        quantized(TensorType.UINT8, new long[] {0, 255, 128, 7});
    }

    @Test
    void quantizedSameShapeOtherRanks() {
        long seed = 9000;
        for (int[] s : new int[][] {{2, 1, 3, 2, 3}, {1}, {3, 17}}) {
            Model m = prelu(TensorType.INT8, TensorType.INT8, s, s, q(0.03, -128), q(0.02, 127), q(0.05, 127), null);
            Differential.compare("PRELU INT8 same shape " + Arrays.toString(s), m, seed++);
        }
    }

    private static void refused(Model m, String... fragments) {
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> CompiledModel.compile(m));
        assertTrue(e.getMessage().contains("PRELU"), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), e.getMessage());
        }
    }

    @Test
    void refusals() {
        Quantization qa = q(0.01, 0);
        // Alpha of another type than the kernel reads.
        refused(prelu(TensorType.INT8, TensorType.UINT8, INPUT, new int[] {5}, qa, qa, qa, null), "alpha must be INT8");
        // INT16: TFLite 2.20's PRELU has no int16 kernel (with either alpha type).
        refused(prelu(TensorType.INT16, TensorType.INT16, INPUT, new int[] {5}, qa, qa, qa, null), "INT16");
        refused(prelu(TensorType.INT16, TensorType.INT8, INPUT, new int[] {5}, qa, qa, qa, null), "INT16");
        refused(prelu(TensorType.FLOAT32, TensorType.INT8, INPUT, new int[] {5}, null, qa, null, null),
                "alpha must be FLOAT32");
        // Alpha that would grow the output beyond the input's shape.
        refused(prelu(TensorType.FLOAT32, TensorType.FLOAT32, new int[] {4, 5}, new int[] {3, 1, 5}, null, null, null,
                null), "keep the input's shape");
        // Shapes that do not broadcast.
        refused(prelu(TensorType.FLOAT32, TensorType.FLOAT32, INPUT, new int[] {3}, null, null, null, null),
                "do not broadcast");
        // Broadcasting beyond 4 dimensions.
        refused(prelu(TensorType.FLOAT32, TensorType.FLOAT32, new int[] {2, 1, 3, 2, 3}, new int[] {3}, null, null,
                null, null), "at most 4");
        // Per-axis alpha.
        Quantization perAxis = Quantization.perAxis(new float[] {0.1f, 0.2f, 0.3f, 0.4f, 0.5f}, new long[5], 3);
        refused(prelu(TensorType.INT8, TensorType.INT8, INPUT, new int[] {1, 1, 1, 5}, qa, perAxis, qa, null),
                "per tensor");
        // Unsupported type.
        refused(prelu(TensorType.INT32, TensorType.INT32, INPUT, new int[] {5}, null, null, null, null), "INT32");
    }

    @Test
    void kernelNames() {
        assertEquals("f32_prelu__reference", dev.whittle.runtime.kernels.reference.PreluKernels.F32.name());
        assertEquals("qs8_prelu__reference", dev.whittle.runtime.kernels.reference.PreluKernels.QS8.name());
    }
}
