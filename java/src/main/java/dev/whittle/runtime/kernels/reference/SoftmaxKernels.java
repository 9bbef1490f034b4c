package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.CppMath;

/**
 * Reference SOFTMAX kernels. The 8-bit ones are TFLite 2.20's x86 optimized path
 * ({@code optimized_ops::Softmax} with {@code PopulateSoftmaxLookupTable}; the uint16-LUT
 * variant is built only with clang on aarch64): a float table of {@code expf(-scale * beta * d)}
 * for every distance {@code d} from the row maximum, a float sum in row order, a float
 * reciprocal of {@code sum * outputScale}, and per element {@code table * reciprocal} rounded.
 * int8 rounds half away from zero and adds the zero point; uint8 adds 0.5 and truncates, ignoring
 * the zero point ({@code QuantizeSoftmaxOutput<uint8_t>} off aarch64).
 */
public final class SoftmaxKernels {
    private SoftmaxKernels() {
    }

    /** {@code table[255 - d] = expf(-inputScale * beta * d)} in float, for d in 0..255. */
    public static float[] populateTable(float inputScale, float beta) {
        float scale = -inputScale * beta;
        float[] table = new float[256];
        for (int d = 0; d <= 255; d++) {
            table[255 - d] = (float) Math.exp(scale * (float) d);
        }
        return table;
    }

    public static final Kernel<SoftmaxParams> QS8 = new Eight("qs8_softmax__reference", true);
    public static final Kernel<SoftmaxParams> QU8 = new Eight("qu8_softmax__reference", false);

    private record Eight(String name, boolean signed) implements Kernel<SoftmaxParams> {
        @Override
        public void run(SoftmaxParams p, ExecutionState s) {
            int lo = signed ? -128 : 0;
            int hi = signed ? 127 : 255;
            float[] table = p.table();
            for (int r = 0; r < p.rows(); r++) {
                int base = r * p.depth();
                int max = lo;
                for (int c = 0; c < p.depth(); c++) {
                    max = Math.max(max, value(s, p.input(), base + c));
                }
                int offset = 255 - max;
                float sum = 0f;
                for (int c = 0; c < p.depth(); c++) {
                    sum += table[offset + value(s, p.input(), base + c)];
                }
                float inv = 1.0f / (sum * p.outScale());
                for (int c = 0; c < p.depth(); c++) {
                    float prob = table[offset + value(s, p.input(), base + c)] * inv;
                    int q = signed ? (int) CppMath.round(prob) + p.outZeroPoint() : (int) (prob + 0.5f);
                    s.putByte(p.output(), base + c, (byte) Math.max(Math.min(hi, q), lo));
                }
            }
        }

        private int value(ExecutionState s, int t, int i) {
            return signed ? s.getByte(t, i) : s.getUnsignedByte(t, i);
        }
    }
}
