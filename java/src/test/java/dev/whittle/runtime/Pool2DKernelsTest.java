package dev.whittle.runtime;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java AVERAGE_POOL_2D and MAX_POOL_2D kernels against the reference kernels, bit for bit:
 * float32, int8, uint8, int16; windows 1x1..7x7 (global), strides 1 and 2, SAME and VALID
 * padding (clipped windows), odd sizes, batch 2, channels 1..65, every fused activation, zero
 * points at both ends; 1 and 3 threads.
 */
class Pool2DKernelsTest {
    private static final int[] CHANNELS = {1, 2, 3, 5, 8, 9, 16, 17, 33, 64, 65};

    private static String prefix(TensorType t) {
        return switch (t) {
            case FLOAT32 -> "f32";
            case INT8 -> "qs8";
            case UINT8 -> "qu8";
            default -> "qs16";
        };
    }

    private static int outSize(int in, int f, int stride, boolean same) {
        return same ? (in + stride - 1) / stride : (in - f + stride) / stride;
    }

    private static Model pool(BuiltinOperator op, TensorType t, int[] in, int f, int stride, boolean same, int act,
            int zp) {
        ModelBuilder b = new ModelBuilder("pool");
        Quantization q = t == TensorType.FLOAT32 ? null : Quantization.perTensor(0.05, t == TensorType.INT16 ? 0 : zp);
        int x = q == null ? b.input("x", t, in) : b.input("x", t, q, in);
        int[] so = {in[0], outSize(in[1], f, stride, same), outSize(in[2], f, stride, same), in[3]};
        TensorSpec out = q == null ? TensorSpec.of("y", t, so) : TensorSpec.quantized("y", t, q, so);
        BuiltinOptions o = BuiltinOptions.of("Pool2DOptions").set("padding", same ? 0 : 1).set("stride_w", stride)
                .set("stride_h", stride).set("filter_width", f).set("filter_height", f)
                .set("fused_activation_function", act);
        b.output(b.op(op, 1, o, new int[] {x}, out)[0]);
        return b.build();
    }

    @Test
    void sweeps() {
        int own = 0;
        int n = 0;
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.AVERAGE_POOL_2D, BuiltinOperator.MAX_POOL_2D}) {
            String suffix = op == BuiltinOperator.MAX_POOL_2D ? "_max_pool2d" : "_average_pool2d";
            var family = op == BuiltinOperator.MAX_POOL_2D ? ElementwiseFamilies.MAX_POOL2D
                    : ElementwiseFamilies.AVERAGE_POOL2D;
            for (TensorType t : new TensorType[] {TensorType.FLOAT32, TensorType.INT8, TensorType.UINT8,
                    TensorType.INT16}) {
                int lo = t == TensorType.UINT8 ? 0 : -128;
                for (int c : CHANNELS) {
                    int f = new int[] {1, 2, 3, 5, 7}[n % 5];
                    int stride = 1 + n % 2;
                    boolean same = n % 3 != 0;
                    int size = f + 1 + n % 5;
                    int batch = n % 4 == 3 ? 2 : 1;
                    int act = new int[] {0, 1, 3, 2}[n % 4];
                    int zp = n % 2 == 0 ? lo : lo + 255;
                    int[] in = {batch, size, size + 2, c};
                    String label = op + " " + t + " " + java.util.Arrays.toString(in) + " f" + f + " s" + stride
                            + (same ? " SAME" : " VALID") + " act " + act;
                    own += FastKernelHarness.checkPaths(label, pool(op, t, in, f, stride, same, act, zp),
                            List.of(FastKernelHarness.random(t, in, n, 13)), family, prefix(t) + suffix, false);
                    n++;
                }
                // Global 7x7 (MobileNet's classifier head) and a node large enough to be split.
                int[] global = {1, 7, 7, 129};
                own += FastKernelHarness.checkPaths(op + " " + t + " global", pool(op, t, global, 7, 2, false, 0, 3),
                        List.of(FastKernelHarness.random(t, global, 5, 0)), family, prefix(t) + suffix, false);
                int[] big = {1, 64, 64, 24};
                own += FastKernelHarness.checkPaths(op + " " + t + " big", pool(op, t, big, 3, 2, true, 0, 3),
                        List.of(FastKernelHarness.random(t, big, 6, 0)), family, prefix(t) + suffix, false);
            }
        }
        assertTrue(own >= 2 * 4 * CHANNELS.length, "ran " + own);
    }
}
