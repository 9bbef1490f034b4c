package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Java MEAN/SUM kernel against the reference on each of its TFLite paths (quantized MEAN,
 * the H,W MEAN of the optimized kernels, quantized SUM, float32 MEAN and SUM), bit for bit:
 * int8, uint8, int16 and float32, kept and reduced axes anywhere, keep_dims on and off, zero
 * points at both ends, same and different output quantization; 1 and 3 threads.
 */
class ReduceKernelsTest {
    @Test
    void sweeps() {
        Object[][] cases = {
            {new int[] {1, 5, 7, 3}, new int[] {1, 2}, true},
            {new int[] {2, 4, 3, 17}, new int[] {2, 1}, true},
            {new int[] {1, 7, 7, 65}, new int[] {1, 2}, true},
            {new int[] {1, 1, 1, 5}, new int[] {1, 2}, true},
            {new int[] {2, 5, 7, 3}, new int[] {1, 2}, false},
            {new int[] {2, 3, 4, 5}, new int[] {3}, false},
            {new int[] {2, 3, 4, 5}, new int[] {0, 1, 2, 3}, true},
            {new int[] {3, 4, 5}, new int[] {1}, true},
            {new int[] {3, 17}, new int[] {0}, false},
            {new int[] {2, 3, 4, 3, 2}, new int[] {1, 3}, false},
            {new int[] {1, 64, 64, 33}, new int[] {1, 2}, true},
        };
        int own = 0;
        int k = 0;
        for (BuiltinOperator op : new BuiltinOperator[] {BuiltinOperator.MEAN, BuiltinOperator.SUM}) {
            for (TensorType type : new TensorType[] {TensorType.INT8, TensorType.UINT8, TensorType.INT16,
                    TensorType.FLOAT32}) {
                for (Object[] c : cases) {
                    int[] in = (int[]) c[0];
                    int[] axes = (int[]) c[1];
                    boolean keep = (Boolean) c[2];
                    int lo = type == TensorType.UINT8 ? 0 : -128;
                    int zin = type == TensorType.INT16 ? 0 : k % 3 == 0 ? lo : k % 3 == 1 ? lo + 255 : lo + 60;
                    int zout = type == TensorType.INT16 ? 0 : k % 2 == 0 ? lo + 255 - 3 : lo + 5;
                    double scale = type == TensorType.INT16 ? 0.05 / 256 : 0.05;
                    Quantization qin = type == TensorType.FLOAT32 ? null : Quantization.perTensor(scale, zin);
                    Quantization qout = type == TensorType.FLOAT32 ? null
                            : Quantization.perTensor(op == BuiltinOperator.SUM ? scale * 3.7 : scale * 0.62, zout);
                    String label = op + " " + type + " " + Arrays.toString(in) + " axes " + Arrays.toString(axes)
                            + " keep " + keep;
                    List<TensorData> inputs = List.of(FastKernelHarness.random(type, in, k, 9));
                    for (Quantization out : qin == null || op == BuiltinOperator.SUM ? new Quantization[] {qout}
                            : new Quantization[] {qin, qout}) {
                        List<String> kernels = FastKernelHarness.check(label, PoolResizeConcatOpsTest.reduce(op, type,
                                qin, out, in, axes, keep), inputs);
                        assertTrue(kernels.get(0).endsWith("__java"), label + ": " + kernels);
                        own++;
                    }
                    k++;
                }
            }
        }
        assertTrue(own > 80, "ran " + own);
    }
}
