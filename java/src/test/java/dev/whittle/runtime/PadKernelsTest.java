package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java PAD/PADV2 kernel against the reference, bit for bit: every element size, ranks 1..5,
 * paddings of 0..3 on either side of each dimension, the pad value from the zero point, from a
 * constant and from an input tensor; 1 and 3 threads.
 */
class PadKernelsTest {
    private static int size(TensorType t) {
        return switch (t) {
            case INT8, UINT8 -> 1;
            case INT16 -> 2;
            case INT32, FLOAT32 -> 4;
            default -> 8;
        };
    }

    private static ByteBuffer value(TensorType t, long seed) {
        ByteBuffer b = ByteBuffer.allocate(size(t)).order(ByteOrder.LITTLE_ENDIAN);
        switch (size(t)) {
            case 1 -> b.put(0, (byte) (seed * 37 + 5));
            case 2 -> b.putShort(0, (short) (seed * 1237 - 99));
            case 4 -> {
                if (t == TensorType.FLOAT32) {
                    b.putFloat(0, -1.25f * seed);
                } else {
                    b.putInt(0, (int) (seed * 123457 - 7));
                }
            }
            default -> b.putLong(0, seed * 0x123456789L - 3);
        }
        return b;
    }

    @Test
    void sweeps() {
        TensorType[] types = {TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32,
            TensorType.FLOAT32, TensorType.INT64};
        int own = 0;
        int n = 0;
        for (TensorType t : types) {
            for (int rank = 1; rank <= 5; rank++) {
                for (int valueMode = 0; valueMode < 3; valueMode++) {
                    int[] in = new int[rank];
                    int[] pads = new int[2 * rank];
                    int[] out = new int[rank];
                    for (int d = 0; d < rank; d++) {
                        in[d] = 1 + (n + 3 * d) % 5;
                        pads[2 * d] = (n + d) % 4;
                        pads[2 * d + 1] = (n + 2 * d + 1) % 3;
                        out[d] = in[d] + pads[2 * d] + pads[2 * d + 1];
                    }
                    if (rank == 4 && valueMode == 0) {
                        in = new int[] {1, 33, 31, 17};
                        pads = new int[] {0, 0, 1, 2, 2, 1, 0, 0};
                        out = new int[] {1, 36, 34, 17};
                    }
                    boolean quantized = t == TensorType.INT8 || t == TensorType.UINT8 || t == TensorType.INT16;
                    Quantization q = quantized ? Quantization.perTensor(0.1, t == TensorType.INT16 ? 0
                            : t == TensorType.UINT8 ? 200 : -100) : null;
                    ModelBuilder b = new ModelBuilder("pad");
                    int x = q == null ? b.input("x", t, in) : b.input("x", t, q, in);
                    int p = b.constant("p", pads, rank, 2);
                    List<TensorData> inputs = new ArrayList<>();
                    inputs.add(FastKernelHarness.random(t == TensorType.INT64 ? TensorType.INT32 : t,
                            t == TensorType.INT64 ? withLast(in, 2) : in, n, 0));
                    if (t == TensorType.INT64) {
                        inputs.set(0, new TensorData(t, in, inputs.get(0).data()));
                    }
                    int[] ins;
                    BuiltinOperator op;
                    if (valueMode == 0) {
                        ins = new int[] {x, p};
                        op = BuiltinOperator.PAD;
                    } else {
                        ByteBuffer v = value(t, n);
                        int vt;
                        if (valueMode == 1) {
                            vt = b.constant("v", t, q, v, 1);
                        } else {
                            vt = q == null ? b.input("v", t, 1) : b.input("v", t, q, 1);
                            inputs.add(new TensorData(t, new int[] {1}, v));
                        }
                        ins = new int[] {x, p, vt};
                        op = BuiltinOperator.PADV2;
                    }
                    TensorSpec os = q == null ? TensorSpec.of("y", t, out) : TensorSpec.quantized("y", t, q, out);
                    b.output(b.op(op, 1, null, ins, os)[0]);
                    Model m = b.build();
                    String label = op + " " + t + " " + java.util.Arrays.toString(in) + " pads "
                            + java.util.Arrays.toString(pads) + " value mode " + valueMode;
                    own += FastKernelHarness.checkPaths(label, m, inputs, ElementwiseFamilies.PAD,
                            "x" + 8 * size(t) + "_pad", false);
                    n++;
                }
            }
        }
        assertTrue(own >= 80, "ran " + own);
    }

    private static int[] withLast(int[] shape, int factor) {
        int[] s = shape.clone();
        s[s.length - 1] *= factor;
        return s;
    }
}
