package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.PackedWeights;
import dev.whittle.runtime.kernels.WeightKernels;
import dev.whittle.runtime.kernels.WorkerScratch;
import dev.whittle.runtime.kernels.QuantizedFullyConnectedFactory;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.FloatParams;
import dev.whittle.runtime.kernels.reference.HybridScratch;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;
import dev.whittle.runtime.quant.ActivationRange;
import dev.whittle.runtime.quant.QuantizedMultiplier;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * FULLY_CONNECTED as TFLite 2.20's {@code fully_connected.cc} runs it: inputs
 * {@code (input, weights [units, cols], optional bias)}, options {@code fused_activation_function},
 * {@code weights_format} (DEFAULT only), {@code keep_num_dims}, {@code asymmetric_quantize_inputs},
 * {@code quantized_bias_type}.
 *
 * <p>Shapes: the input's elements are read as {@code batches = elements / cols} rows (integer
 * division, as TFLite's Prepare computes it); without {@code keep_num_dims} the output is
 * {@code [batches, units]}, with it the input's shape with the last dimension (which must be
 * {@code cols}) replaced by {@code units}.
 *
 * <p>Types and kernels: FLOAT32 ({@code f32_}); INT8 with per-tensor or per-channel (axis 0)
 * INT8 weights and INT32 bias ({@code qs8_}, {@code qs8_qc8w_}); UINT8 with UINT8 weights
 * ({@code qu8_}); INT16 (zero points 0) with INT8 weights and INT32 or INT64 bias
 * ({@code qs16_qc8w_}, two kernels for TFLite's two paths); hybrid FLOAT32 input with INT8
 * weights ({@code qd8_f32_qc8w_}), whose run-time quantized input lives in the context's scratch.
 *
 * <p>The {@code qs8_}, {@code qs8_qc8w_} and {@code qu8_} families with constant weights take
 * their kernel from {@link KernelRegistry} (the fastest path this machine has, or the one
 * {@code -Dwhittle.kernels} forces); the others, and those with weights computed at run time,
 * run the reference kernels.
 */
public final class FullyConnected implements Op<FullyConnected.Prepared<?>> {

    /** A kernel and its parameters. */
    record Prepared<T>(Kernel<T> kernel, T params) {
        void run(ExecutionState s) {
            kernel.run(params, s);
        }
    }

    @Override
    public Prepared<?> prepare(PrepareContext ctx) {
        ctx.requireArity(2, 3, 1);
        BuiltinOptions o = ctx.options();
        int weightsFormat = o == null ? 0 : o.getInt("weights_format");
        if (weightsFormat != 0) {
            throw ctx.unsupported("weights_format " + (weightsFormat == 1 ? "SHUFFLED4x16INT8" : weightsFormat)
                    + " is not supported; only DEFAULT weights are");
        }
        boolean keep = o != null && o.getBool("keep_num_dims");
        int act = o == null ? 0 : o.getInt("fused_activation_function");
        boolean asymmetric = o != null && o.getBool("asymmetric_quantize_inputs");
        int biasType = o == null ? 0 : o.getInt("quantized_bias_type");

        int[] in = ctx.inputShape(0);
        int[] w = ctx.requireRank(1, 2);
        int units = w[0];
        int cols = w[1];
        if (cols == 0) {
            throw ctx.unsupported("weights have 0 input features");
        }
        boolean hasBias = ctx.input(2) >= 0;
        if (hasBias && ctx.inputTensor(2).elementCount() != units) {
            throw ctx.unsupported("bias must have " + units + " elements");
        }
        int n = OpSupport.product(in);
        int batches = n / cols;
        int[] out;
        if (keep) {
            if (in.length == 0 || in[in.length - 1] != cols) {
                throw ctx.unsupported("keep_num_dims needs the input's last dimension to be " + cols);
            }
            out = Arrays.copyOf(in, in.length);
            out[out.length - 1] = units;
        } else {
            out = new int[] {batches, units};
        }

        TensorType inType = ctx.inputTensor(0).type();
        TensorType wType = ctx.inputTensor(1).type();
        TensorType outType = ctx.outputTensor(0).type();
        TensorType bType = hasBias ? ctx.inputTensor(2).type() : null;
        Prepared<?> p;
        if (inType == TensorType.FLOAT32 && wType == TensorType.FLOAT32) {
            ctx.requireAllTypes(TensorType.FLOAT32);
            OpSupport.activationRange(ctx, act);
            // TFLite clamps to [-FLT_MAX, FLT_MAX] without an activation, so infinities become finite.
            ActivationRange.FloatBounds range = ActivationRange.floatRange(act);
            FloatParams fp = new FloatParams(ctx.input(0), ctx.input(1), ctx.input(2),
                    ctx.output(0), batches, cols, units, range.min(), range.max(), act, null, false, false, null);
            Kernel<FloatParams> kernel = FullyConnectedReference.F32;
            // Faster kernels pack the weights (and bias) at prepare, so they need them constant.
            if (ctx.isConstant(1) && (!hasBias || ctx.isConstant(2))) {
                java.nio.ByteBuffer weights = ctx.constantData(1);
                java.nio.ByteBuffer bias = hasBias ? ctx.constantData(2) : null;
                kernel = KernelRegistry.fastestOr(KernelRegistry.F32_FULLY_CONNECTED,
                        f -> f.create(fp, weights, bias), kernel);
                if (kernel instanceof WorkerScratch ws) {
                    ctx.requestWorkerScratch(ws.workerScratchBytes());
                }
            }
            p = new Prepared<>(kernel, fp);
        } else if (inType == TensorType.FLOAT32 && wType == TensorType.INT8) {
            p = hybrid(ctx, act, asymmetric, n, batches, cols, units, outType, bType);
        } else if (inType == TensorType.FLOAT32 && wType == TensorType.UINT8) {
            throw ctx.unsupported("hybrid FLOAT32 input with UINT8 weights is not supported (TFLite reads the"
                    + " UINT8 weights as INT8)");
        } else {
            p = quantized(ctx, act, biasType, batches, cols, units, inType, wType, outType, bType);
        }
        ctx.setOutputShape(0, out);
        return p;
    }

    private static Prepared<?> hybrid(PrepareContext ctx, int act, boolean asymmetric, int n, int batches, int cols,
            int units, TensorType outType, TensorType bType) {
        if (outType != TensorType.FLOAT32 || (bType != null && bType != TensorType.FLOAT32)) {
            throw ctx.unsupported("hybrid FULLY_CONNECTED needs a FLOAT32 output and FLOAT32 bias");
        }
        if (n % cols != 0) {
            throw ctx.unsupported("hybrid input of " + n + " elements does not flatten to rows of " + cols);
        }
        if (act < 0 || act > 5) {
            throw ctx.unsupported("fused activation " + act + " is not supported");
        }
        boolean perChannel = WeightQuantization.perChannel(ctx, 1);
        float[] scales = WeightQuantization.scales(ctx, 1, units, 0, true);
        if (perChannel && !asymmetric) {
            // TFLite 2.20 passes no input offsets on this path, and its portable kernel then
            // takes the overload without per-channel scales: outputs lack the weight scales
            // entirely (fixed upstream after 2.20). Copying that, or differing from it, are
            // both wrong, so the combination is refused.
            throw ctx.unsupported("hybrid per-channel INT8 weights with symmetric input quantization"
                    + " (asymmetric_quantize_inputs false): TFLite 2.20 drops the per-channel weight scales"
                    + " on this path");
        }
        ActivationRange.FloatBounds range = ActivationRange.floatRange(act);
        HybridScratch scratch = HybridScratch.request(ctx, (long) batches * cols, batches, asymmetric ? units : 0);
        return new Prepared<>(FullyConnectedReference.QD8_F32_QC8W, new FloatParams(ctx.input(0), ctx.input(1),
                ctx.input(2), ctx.output(0), batches, cols, units, range.min(), range.max(), act,
                perChannel ? scales : new float[] {scales[0]}, perChannel, asymmetric, scratch));
    }

    private static Prepared<?> quantized(PrepareContext ctx, int act, int biasType, int batches, int cols, int units,
            TensorType inType, TensorType wType, TensorType outType, TensorType bType) {
        boolean int16 = inType == TensorType.INT16;
        boolean ok = (inType == TensorType.INT8 && wType == TensorType.INT8 && outType == TensorType.INT8)
                || (inType == TensorType.UINT8 && wType == TensorType.UINT8 && outType == TensorType.UINT8)
                || (int16 && wType == TensorType.INT8 && outType == TensorType.INT16);
        if (!ok) {
            throw ctx.unsupported("input " + inType + ", weights " + wType + " and output " + outType
                    + " is not a supported combination (FLOAT32, INT8/INT8/INT8, UINT8/UINT8/UINT8,"
                    + " INT16/INT8/INT16, or hybrid FLOAT32/INT8/FLOAT32)");
        }
        if (bType != null && bType != TensorType.INT32 && !(int16 && bType == TensorType.INT64)) {
            throw ctx.unsupported("bias must be INT32" + (int16 ? " or INT64" : "") + ", is " + bType);
        }
        boolean perChannel = WeightQuantization.perChannel(ctx, 1);
        if (perChannel && inType == TensorType.UINT8) {
            throw ctx.unsupported("UINT8 weights must be quantized per tensor");
        }
        // Per-channel weights are symmetric in TFLite's kernels, which ignore their zero point;
        // the int16 paths ignore it too (or read the bias wrongly when it is not 0).
        float[] scales = WeightQuantization.scales(ctx, 1, units, 0, perChannel || int16);
        int inputZp = ctx.inputZeroPoint(0);
        int outputZp = ctx.outputZeroPoint(0);
        long weightsZp = ctx.inputTensor(1).quantization().zeroPoint()[0];
        boolean use64 = false;
        if (int16) {
            if (inputZp != 0 || outputZp != 0) {
                throw ctx.unsupported("INT16 input and output must have zero point 0");
            }
            if (biasType != WeightQuantization.BIAS_TYPE_UNSET) {
                if (biasType != WeightQuantization.BIAS_TYPE_INT32 && biasType != WeightQuantization.BIAS_TYPE_INT64) {
                    throw ctx.unsupported("quantized_bias_type " + biasType + " is neither INT32 nor INT64");
                }
                TensorType wanted = biasType == WeightQuantization.BIAS_TYPE_INT32 ? TensorType.INT32 : TensorType.INT64;
                if (bType != null && bType != wanted) {
                    throw ctx.unsupported("bias is " + bType + " but quantized_bias_type says " + wanted);
                }
            }
            use64 = bType == TensorType.INT64 || biasType == WeightQuantization.BIAS_TYPE_INT64;
        }
        ActivationRange.Quantized range = WeightQuantization.activation(ctx, act, 0);
        QuantizedMultiplier[] m;
        if (perChannel) {
            m = WeightQuantization.perChannelMultipliers(ctx, scales, 0, 0);
        } else {
            m = new QuantizedMultiplier[units];
            Arrays.fill(m, WeightQuantization.perTensorMultiplier(ctx, scales[0], 0, 2, 0));
        }
        Kernel<QuantParams> kernel;
        double[] real = null;
        if (use64) {
            kernel = FullyConnectedReference.QS16_QC8W;
            real = WeightQuantization.realScales(ctx, scales, 0, 0);
        } else {
            for (QuantizedMultiplier q : m) {
                // ruy's output stage checks -31 <= shift <= 7 and aborts otherwise.
                if (q.shift() > 7 || q.shift() < -31) {
                    throw ctx.unsupported("output multiplier " + q.toDouble() + " is out of the GEMM's range"
                            + " (exponent " + q.shift() + " outside [-31, 7])");
                }
            }
            kernel = int16 ? FullyConnectedReference.QS16_QC8W_GEMM
                    : inType == TensorType.UINT8 ? FullyConnectedReference.QU8
                    : perChannel ? FullyConnectedReference.QS8_QC8W : FullyConnectedReference.QS8;
        }
        QuantParams qp = new QuantParams(ctx.input(0), ctx.input(1), ctx.input(2), bType == TensorType.INT64,
                ctx.output(0), batches, cols, units, -inputZp, perChannel ? 0 : (int) -weightsZp, outputZp,
                WeightQuantization.multipliers(m), WeightQuantization.shifts(m), real, range.min(), range.max());
        KernelFamily<QuantizedFullyConnectedFactory> family = kernel == FullyConnectedReference.QS8
                ? KernelRegistry.QS8_FULLY_CONNECTED : kernel == FullyConnectedReference.QS8_QC8W
                ? KernelRegistry.QS8_QC8W_FULLY_CONNECTED : kernel == FullyConnectedReference.QU8
                ? KernelRegistry.QU8_FULLY_CONNECTED : null;
        // Faster kernels pack the weights at prepare, so they need them constant.
        if (family != null && ctx.isConstant(1)) {
            ByteBuffer weights = ctx.constantData(1);
            ByteBuffer bias = ctx.isConstant(2) ? ctx.constantData(2) : null;
            WeightKernels.Choice<Kernel<QuantParams>> format = WeightKernels.fullyConnected(family, qp, weights, bias);
            kernel = format.kernel() != null ? format.kernel()
                    : KernelRegistry.fastestOr(family, f -> f.create(qp, weights, bias), kernel);
            if (kernel instanceof WorkerScratch ws) {
                ctx.requestWorkerScratch(ws.workerScratchBytes());
            }
            ctx.describeKernel(format.why(), kernel instanceof PackedWeights pw ? pw.packedWeightBytes()
                    : weights.capacity());
        }
        // 16x8: the reference TFLite runs depends on the bias (see FullyConnectedReference);
        // the family's kernels pick the same output stage from the parameters.
        if (int16 && ctx.isConstant(1) && (qp.bias() < 0 || ctx.isConstant(2))) {
            ByteBuffer w = ctx.constantData(1);
            ByteBuffer b = qp.bias() >= 0 ? ctx.constantData(2) : null;
            WeightKernels.Choice<Kernel<QuantParams>> format = WeightKernels.fullyConnected(
                    KernelRegistry.QS16_QC8W_FULLY_CONNECTED, qp, w, b);
            kernel = format.kernel() != null ? format.kernel()
                    : KernelRegistry.fastestOr(KernelRegistry.QS16_QC8W_FULLY_CONNECTED, f -> f.create(qp, w, b),
                            kernel);
            ctx.describeKernel(format.why(), kernel instanceof PackedWeights pw ? pw.packedWeightBytes()
                    : w.capacity());
            if (kernel instanceof WorkerScratch ws) {
                ctx.requestWorkerScratch(ws.workerScratchBytes());
            }
        }
        return new Prepared<>(kernel, qp);
    }

    @Override
    public void eval(Prepared<?> p, ExecutionState s) {
        p.run(s);
    }
}
