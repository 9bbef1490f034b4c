package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * TRANSPOSE_CONV reference kernels in the shape of TFLite's {@code reference_ops::TransposeConv}
 * and {@code reference_integer_ops::TransposeConv}: every input pixel is scattered through the
 * OHWI filter into an accumulator the size of the output (positions that fall outside it are
 * dropped), then the bias is added and, for integers, the sum requantized with TFLite's
 * double-rounding {@code MultiplyByQuantizedMultiplier} (the int32 one; the 16x8 int64 one for
 * int64 accumulators), offset by the output zero point and clamped.
 *
 * <p>TFLite's optimized kernel (a GEMM into im2col columns, then col2im) forms the same
 * integer sums in another order; integer addition being associative (and wrapping the same
 * way), the integer results agree bit for bit. Its float sums are ordered differently, so
 * floats agree to a few ulps.
 */
public final class TransposeConvReference {

    private TransposeConvReference() {
    }

    /**
     * One node's parameters.
     *
     * @param bias tensor index, or -1
     * @param biasIs64 whether the bias is INT64
     * @param padH rows of padding before the output's first row (as a forward convolution
     *     over the output would pad it)
     * @param inputOffset minus the input zero point
     * @param weightsOffset minus the weights zero point (used by the uint8 kernel only)
     * @param multipliers per output channel
     * @param shifts per output channel, exponents (positive = left)
     * @param accumulators scratch id of the integer kernels' accumulator: one int32 per output
     *     element ({@code 4 * outputs} bytes), or one int64 for {@link #QS16_QC8W}
     *     ({@code 8 * outputs}); -1 for the float kernel, which accumulates in its output
     */
    public record Params(int input, int weights, int bias, boolean biasIs64, int output, int batches, int inH,
            int inW, int inC, int outH, int outW, int outC, int kh, int kw, int strideH, int strideW, int padH,
            int padW, int inputOffset, int weightsOffset, int outputOffset, int[] multipliers, int[] shifts,
            int actMin, int actMax, float floatMin, float floatMax, int accumulators) {
    }

    /** What the scatter accumulates into. */
    private enum Into {
        FLOAT_OUTPUT, INT32, INT64
    }

    /**
     * The scatter of TFLite's reference loop: for each input element, each filter tap and each
     * output channel, the product goes to the output position the tap lands on, if inside.
     * Written out once, with the accumulator chosen by {@code into}, so that no kernel
     * allocates (a capturing lambda per invoke would).
     */
    private static void scatter(Params p, ExecutionState s, Into into, FullyConnectedReference.Elem act,
            FullyConnectedReference.Elem wt) {
        for (int b = 0; b < p.batches(); b++) {
            for (int iy = 0; iy < p.inH(); iy++) {
                for (int ix = 0; ix < p.inW(); ix++) {
                    for (int ic = 0; ic < p.inC(); ic++) {
                        int originX = ix * p.strideW() - p.padW();
                        int originY = iy * p.strideH() - p.padH();
                        int in = ((b * p.inH() + iy) * p.inW() + ix) * p.inC() + ic;
                        for (int fy = 0; fy < p.kh(); fy++) {
                            for (int fx = 0; fx < p.kw(); fx++) {
                                int ox = originX + fx;
                                int oy = originY + fy;
                                if (ox < 0 || ox >= p.outW() || oy < 0 || oy >= p.outH()) {
                                    continue;
                                }
                                for (int oc = 0; oc < p.outC(); oc++) {
                                    int w = ((oc * p.kh() + fy) * p.kw() + fx) * p.inC() + ic;
                                    int out = ((b * p.outH() + oy) * p.outW() + ox) * p.outC() + oc;
                                    switch (into) {
                                        case FLOAT_OUTPUT -> s.putFloat(p.output(), out, s.getFloat(p.output(), out)
                                                + s.getFloat(p.input(), in) * s.getFloat(p.weights(), w));
                                        case INT32 -> s.putScratchInt(p.accumulators(), out,
                                                s.getScratchInt(p.accumulators(), out)
                                                        + (act.get(s, p.input(), in) + p.inputOffset())
                                                        * (wt.get(s, p.weights(), w) + p.weightsOffset()));
                                        case INT64 -> s.putScratchLong(p.accumulators(), out,
                                                s.getScratchLong(p.accumulators(), out)
                                                        + (act.get(s, p.input(), in) + p.inputOffset())
                                                        * wt.get(s, p.weights(), w));
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static int outputCount(Params p) {
        return p.batches() * p.outH() * p.outW() * p.outC();
    }

    /** {@code f32_transpose_conv__reference}: accumulates in the output tensor itself. */
    public static final Kernel<Params> F32 = new Kernel<>() {
        @Override
        public String name() {
            return "f32_transpose_conv__reference";
        }

        @Override
        public void run(Params p, ExecutionState s) {
            int n = outputCount(p);
            for (int i = 0; i < n; i++) {
                s.putFloat(p.output(), i, 0f);
            }
            scatter(p, s, Into.FLOAT_OUTPUT, null, null);
            for (int i = 0; i < n; i++) {
                float acc = s.getFloat(p.output(), i);
                if (p.bias() >= 0) {
                    acc += s.getFloat(p.bias(), i % p.outC());
                }
                s.putFloat(p.output(), i, Math.min(Math.max(acc, p.floatMin()), p.floatMax()));
            }
        }
    };

    /** {@code qs8_qc8w_transpose_conv__reference}: int8, per-channel (or per-tensor) int8 weights. */
    public static final Kernel<Params> QS8_QC8W = new Int32Kernel("qs8_qc8w_transpose_conv__reference",
            FullyConnectedReference.Elem.INT8, FullyConnectedReference.Elem.INT8);

    /** {@code qu8_transpose_conv__reference}: uint8 activations and weights, per tensor. */
    public static final Kernel<Params> QU8 = new Int32Kernel("qu8_transpose_conv__reference",
            FullyConnectedReference.Elem.UINT8, FullyConnectedReference.Elem.UINT8);

    /**
     * {@code qs16_qc8w_transpose_conv_acc32__reference}: int16 activations, int8 weights, an
     * int32 bias declared by {@code quantized_bias_type}: int32 accumulation.
     */
    public static final Kernel<Params> QS16_QC8W_ACC32 = new Int32Kernel(
            "qs16_qc8w_transpose_conv_acc32__reference", FullyConnectedReference.Elem.INT16,
            FullyConnectedReference.Elem.INT8);

    /**
     * {@code qs16_qc8w_transpose_conv__reference}: int16 activations, int8 weights, int64
     * accumulation and bias, requantized with the 16x8 int64 {@code MultiplyByQuantizedMultiplier}.
     */
    public static final Kernel<Params> QS16_QC8W = new Kernel<>() {
        @Override
        public String name() {
            return "qs16_qc8w_transpose_conv__reference";
        }

        @Override
        public void run(Params p, ExecutionState s) {
            int n = outputCount(p);
            for (int i = 0; i < n; i++) {
                s.putScratchLong(p.accumulators(), i, 0L);
            }
            scatter(p, s, Into.INT64, FullyConnectedReference.Elem.INT16, FullyConnectedReference.Elem.INT8);
            for (int i = 0; i < n; i++) {
                int oc = i % p.outC();
                long v = s.getScratchLong(p.accumulators(), i);
                if (p.bias() >= 0) {
                    v += p.biasIs64() ? s.getLong(p.bias(), oc) : s.getInt(p.bias(), oc);
                }
                int scaled = FixedPoint.multiplyByQuantizedMultiplier(v, p.multipliers()[oc], p.shifts()[oc]);
                scaled = Math.min(Math.max(scaled, p.actMin()), p.actMax());
                s.putShort(p.output(), i, (short) scaled);
            }
        }
    };

    /** The int32-accumulating kernels. */
    private record Int32Kernel(String name, FullyConnectedReference.Elem activations,
            FullyConnectedReference.Elem weights) implements Kernel<Params> {
        @Override
        public void run(Params p, ExecutionState s) {
            int n = outputCount(p);
            for (int i = 0; i < n; i++) {
                s.putScratchInt(p.accumulators(), i, 0);
            }
            scatter(p, s, Into.INT32, activations, weights);
            for (int i = 0; i < n; i++) {
                int oc = i % p.outC();
                int v = s.getScratchInt(p.accumulators(), i);
                if (p.bias() >= 0) {
                    v += s.getInt(p.bias(), oc);
                }
                int scaled = FixedPoint.multiplyByQuantizedMultiplier(v, p.multipliers()[oc], p.shifts()[oc]);
                scaled += p.outputOffset();
                scaled = Math.min(Math.max(scaled, p.actMin()), p.actMax());
                activations.put(s, p.output(), i, scaled);
            }
        }
    }
}
