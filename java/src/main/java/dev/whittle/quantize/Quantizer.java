package dev.whittle.quantize;

import dev.whittle.InvalidInputException;
import dev.whittle.UnsupportedModelException;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.Quantization;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.quantize.Calibrator.ActivationStats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Rewrites a float32 model into one of TFLite's quantized schemes (see {@link QuantizeOptions.Mode}).
 * The input model is not changed.
 *
 * <p>Full integer (int8, 16x8), as TFLite's converter does it:
 * <ul>
 *   <li>weights symmetric int8 in [-127, 127], per channel for CONV_2D (axis 0) and
 *       DEPTHWISE_CONV_2D (axis 3), per tensor or per channel (axis 0) for FULLY_CONNECTED;
 *       biases int32 (int64 for 16x8) with scale {@code input_scale * weight_scale}, zero point 0;</li>
 *   <li>activations asymmetric int8 ({@code scale = (max - min) / 255}, zero point rounded from
 *       {@code -128 - min / scale}), or symmetric int16 with zero point 0; ranges always include 0;</li>
 *   <li>SOFTMAX and LOGISTIC outputs at (1/256, -128), TANH at (1/128, 0); 1/32768 with zero point
 *       0 in 16x8, which TFLite's int16 kernels require;</li>
 *   <li>ops that move values without arithmetic (pools, RESHAPE, SQUEEZE, PAD, SPACE_TO_BATCH_ND,
 *       BATCH_TO_SPACE_ND, STRIDED_SLICE, TRANSPOSE) give their output the input's parameters;
 *       CONCATENATION keeps its output range and its inputs are requantized (QUANTIZE int8 to
 *       int8) where their parameters differ, because TFLite's int8 concatenation refuses
 *       inputs whose scale differs from the output's;</li>
 *   <li>op versions as TFLite's op_version.cc gives them (CONV_2D int8 3, FULLY_CONNECTED int8 4, ...);</li>
 *   <li>an op with no quantized kernel stays float between DEQUANTIZE and QUANTIZE, and is
 *       listed in {@link Result#leftFloat()}; {@link QuantizeOptions#strict()} refuses instead.</li>
 * </ul>
 */
public final class Quantizer {
    /** One operator of the result: what happened to it and how faithful its weights are. */
    public record Layer(int operator, String op, String output, int outputTensor, String scheme, double weightSqnrDb) {
    }

    /**
     * The quantized model and what happened.
     *
     * @param carriers for each tensor index of the float model, the index in {@code model} of the
     *     tensor holding its value (quantized or float), or -1
     */
    public record Result(Model model, List<Layer> layers, List<String> leftFloat, int[] carriers) {
    }

    private Quantizer() {
    }

    /**
     * Quantizes {@code floatModel}.
     *
     * @param stats activation statistics from {@link Calibrator} (int8 and 16x8; null otherwise)
     * @throws UnsupportedModelException when the model is already quantized, has no float
     *     weights, or (strict) has an op that cannot be quantized
     */
    public static Result quantize(Model floatModel, QuantizeOptions options, ActivationStats stats) {
        Objects.requireNonNull(floatModel, "model");
        checkFloatModel(floatModel);
        Model m = floatModel.copy();
        return switch (options.mode()) {
            case FLOAT16 -> new Float16Pass(m).run();
            case DYNAMIC -> new DynamicPass(m, options).run();
            case INT8, INT16X8 -> {
                if (stats == null) {
                    throw new InvalidInputException("--mode " + options.mode().cliName() + " needs calibration data");
                }
                yield new IntegerPass(m, options, stats).run();
            }
        };
    }

    /**
     * Refuses models that are already quantized or have nothing to quantize.
     *
     * @throws UnsupportedModelException naming the tensor or operator that shows it
     */
    public static void checkFloatModel(Model m) {
        if (m.subgraphs().isEmpty()) {
            throw new UnsupportedModelException("the model has no subgraph");
        }
        Subgraph g = m.mainGraph();
        for (int i = 0; i < g.tensorCount(); i++) {
            Tensor t = g.tensor(i);
            boolean intType = t.type() == TensorType.INT8 || t.type() == TensorType.UINT8 || t.type() == TensorType.INT16;
            if (intType && t.isQuantized()) {
                throw new UnsupportedModelException("the model is already quantized: tensor " + i + " '" + t.name() + "' is "
                        + t.type() + " with " + t.quantization() + "; quantize the float model it was made from");
            }
            if (t.type() == TensorType.FLOAT16 && m.isConstant(t)) {
                throw new UnsupportedModelException("the model is already quantized: tensor " + i + " '" + t.name()
                        + "' holds float16 weights; quantize the float32 model it was made from");
            }
        }
        boolean floatWeights = false;
        for (Operator op : g.operators()) {
            OperatorCode c = m.operatorCodeOf(op);
            if (c.builtin() == BuiltinOperator.QUANTIZE || c.builtin() == BuiltinOperator.DEQUANTIZE) {
                throw new UnsupportedModelException("the model is already quantized: it has " + c.name()
                        + " operators; quantize the float model it was made from");
            }
            for (int t : op.inputs()) {
                if (t >= 0 && g.tensor(t).type() == TensorType.FLOAT32 && m.isConstant(g.tensor(t))) {
                    floatWeights = true;
                }
            }
        }
        if (!floatWeights) {
            throw new UnsupportedModelException("the model has no float32 weights to quantize (no operator reads a float32 constant)");
        }
    }

    // ------------------------------------------------------------------------------------------
    // shared editing helpers

    private abstract static class Pass {
        final Model m;
        final Subgraph g;
        final List<Operator> original;
        final List<Operator> out = new ArrayList<>();
        final List<Layer> layers = new ArrayList<>();
        final List<String> leftFloat = new ArrayList<>();
        final int originalTensors;
        final int[] consumers;

        Pass(Model m) {
            this.m = m;
            this.g = m.mainGraph();
            this.original = new ArrayList<>(g.operators());
            this.originalTensors = g.tensorCount();
            this.consumers = new int[originalTensors];
            for (Operator op : original) {
                for (int t : op.inputs()) {
                    if (t >= 0) {
                        consumers[t]++;
                    }
                }
            }
        }

        BuiltinOperator code(Operator op) {
            return m.operatorCodeOf(op).builtin();
        }

        String opName(Operator op) {
            return m.operatorCodeOf(op).name();
        }

        boolean isConst(int t) {
            return t >= 0 && m.isConstant(g.tensor(t));
        }

        boolean isFloatConst(int t) {
            return isConst(t) && g.tensor(t).type() == TensorType.FLOAT32;
        }

        boolean isFloatActivation(int t) {
            return t >= 0 && g.tensor(t).type() == TensorType.FLOAT32 && !m.isConstant(g.tensor(t));
        }

        int newTensor(String name, TensorType type, Tensor like, Quantization q) {
            Tensor t = new Tensor(name, type, like.shape());
            t.setShapeSignature(like.shapeSignature());
            t.setQuantization(q);
            return g.addTensor(t);
        }

        Operator newOp(BuiltinOperator op, int version, int[] in, int[] outs) {
            Operator o = new Operator(m.operatorCodeIndex(op, version), in, outs);
            String opts = op == BuiltinOperator.QUANTIZE ? "QuantizeOptions" : op == BuiltinOperator.DEQUANTIZE
                    ? "DequantizeOptions" : null;
            if (opts != null) {
                o.setBuiltinOptions(BuiltinOptions.of(opts));
            }
            return o;
        }

        void setVersion(Operator op, int version) {
            op.setOpcodeIndex(m.operatorCodeIndex(code(op), version));
        }

        /** Sets a constant's bytes (always in a buffer of its own, so no other tensor changes). */
        void setConstant(int t, TensorType type, byte[] bytes, Quantization q) {
            Tensor tt = g.tensor(t);
            tt.setType(type).setQuantization(q).setBuffer(m.addBuffer(bytes));
        }

        /** A new constant tensor like {@code like}. */
        int newConstant(String name, TensorType type, Tensor like, byte[] bytes, Quantization q) {
            int t = newTensor(name, type, like, q);
            g.tensor(t).setBuffer(m.addBuffer(bytes));
            return t;
        }

        /** Replaces operator inputs from position {@code from} on (not subgraph outputs). */
        void replaceInputs(int original, int replacement, int from) {
            for (int i = from; i < g.operatorCount(); i++) {
                Operator op = g.operator(i);
                for (int k = 0; k < op.inputCount(); k++) {
                    if (op.input(k) == original) {
                        op.setInput(k, replacement);
                    }
                }
            }
        }

        void installOperators() {
            while (g.operatorCount() > 0) {
                g.removeOperator(g.operatorCount() - 1);
            }
            out.forEach(g::addOperator);
        }

        /** Drops what nothing uses and maps carriers (float-model index to result index). */
        Result finish(Tensor[] carrierObjects) {
            m.removeUnusedTensors(0);
            m.removeUnusedBuffers();
            m.removeUnusedOperatorCodes();
            Map<Tensor, Integer> index = new IdentityHashMap<>();
            for (int i = 0; i < g.tensorCount(); i++) {
                index.put(g.tensor(i), i);
            }
            int[] carriers = new int[originalTensors];
            for (int t = 0; t < originalTensors; t++) {
                Integer i = carrierObjects[t] == null ? null : index.get(carrierObjects[t]);
                carriers[t] = i == null ? -1 : i;
            }
            return new Result(m, layers, leftFloat, carriers);
        }

        Tensor[] identityCarriers() {
            Tensor[] c = new Tensor[originalTensors];
            for (int t = 0; t < originalTensors; t++) {
                c[t] = g.tensor(t);
            }
            return c;
        }

        String describe(int position, Operator op) {
            String outName = op.outputCount() > 0 && op.output(0) >= 0 ? g.tensor(op.output(0)).name() : "";
            return "#" + position + " " + opName(op) + " (" + outName + ")";
        }
    }

    // ------------------------------------------------------------------------------------------
    // float16

    private static final class Float16Pass extends Pass {
        Float16Pass(Model m) {
            super(m);
        }

        Result run() {
            Map<Integer, Boolean> done = new HashMap<>();
            for (int i = 0; i < original.size(); i++) {
                Operator op = original.get(i);
                double worst = Double.POSITIVE_INFINITY;
                for (int t : op.inputs()) {
                    if (!isFloatConst(t) || g.tensor(t).elementCount() == 0) {
                        continue;
                    }
                    Tensor w = g.tensor(t);
                    float[] v = WeightQuantizer.floats(m, w);
                    worst = Math.min(worst, WeightQuantizer.float16Sqnr(v));
                    if (done.containsKey(t)) {
                        continue;
                    }
                    done.put(t, true);
                    int h = newConstant(w.name() + "_fp16", TensorType.FLOAT16, w, WeightQuantizer.float16(v), null);
                    w.setBuffer(0);
                    out.add(newOp(BuiltinOperator.DEQUANTIZE, 3, new int[] {h}, new int[] {t}));
                }
                out.add(op);
                if (worst != Double.POSITIVE_INFINITY) {
                    layers.add(new Layer(i, opName(op), outputName(op), op.outputCount() > 0 ? op.output(0) : -1,
                            "float16 weights", worst));
                }
            }
            installOperators();
            return finish(identityCarriers());
        }

        private String outputName(Operator op) {
            return op.outputCount() > 0 && op.output(0) >= 0 ? g.tensor(op.output(0)).name() : "";
        }
    }

    // ------------------------------------------------------------------------------------------
    // dynamic range

    private static final class DynamicPass extends Pass {
        private final QuantizeOptions o;

        DynamicPass(Model m, QuantizeOptions o) {
            super(m);
            this.o = o;
        }

        Result run() {
            Map<Integer, Integer> quantized = new HashMap<>();
            for (int i = 0; i < original.size(); i++) {
                Operator op = original.get(i);
                BuiltinOperator c = code(op);
                int axis = c == BuiltinOperator.CONV_2D ? 0 : c == BuiltinOperator.DEPTHWISE_CONV_2D ? 3
                        : c == BuiltinOperator.FULLY_CONNECTED ? (o.fcPerChannel() ? 0 : -1) : -2;
                boolean hybrid = axis >= -1 && op.inputCount() >= 2 && isFloatConst(op.input(1))
                        && isFloatActivation(op.input(0));
                if (!hybrid) {
                    for (int t : op.inputs()) {
                        if (isFloatConst(t) && g.tensor(t).elementCount() > 1) {
                            leftFloat.add(describe(i, op) + ": no hybrid int8 kernel in TFLite");
                            break;
                        }
                    }
                    out.add(op);
                    continue;
                }
                int t = op.input(1);
                Tensor w = g.tensor(t);
                if (w.elementCount() < o.dynamicMinElements()) {
                    leftFloat.add(describe(i, op) + ": " + w.elementCount() + " weights, fewer than "
                            + o.dynamicMinElements() + " (kept float, as TensorFlow's converter does)");
                    out.add(op);
                    continue;
                }
                WeightQuantizer.Weights q = WeightQuantizer.symmetricInt8(WeightQuantizer.floats(m, w), w.shape(), axis);
                Integer done = quantized.get(t);
                if (done == null) {
                    Quantization qp = weightQuantization(q);
                    if (consumers[t] == 1) {
                        setConstant(t, TensorType.INT8, q.data(), qp);
                        done = t;
                    } else {
                        done = newConstant(w.name() + "_int8", TensorType.INT8, w, q.data(), qp);
                    }
                    quantized.put(t, done);
                }
                op.setInput(1, done);
                boolean perChannel = q.scales().length > 1;
                switch (c) {
                    case CONV_2D -> setVersion(op, perChannel ? 5 : 2);
                    case DEPTHWISE_CONV_2D -> setVersion(op, perChannel ? 6 : 4);
                    default -> {
                        BuiltinOptions opts = op.builtinOptions() != null ? op.builtinOptions()
                                : BuiltinOptions.of("FullyConnectedOptions");
                        opts.set("asymmetric_quantize_inputs", true);
                        op.setBuiltinOptions(opts);
                        setVersion(op, perChannel ? 12 : 9);
                    }
                }
                out.add(op);
                layers.add(new Layer(i, opName(op), g.tensor(op.output(0)).name(), op.output(0),
                        "hybrid: int8 weights" + (perChannel ? " per channel" : " per tensor"), q.sqnrDb()));
            }
            installOperators();
            return finish(identityCarriers());
        }
    }

    static Quantization weightQuantization(WeightQuantizer.Weights q) {
        if (q.axis() < 0) {
            return Quantization.perTensor(q.scales()[0], 0);
        }
        return Quantization.perAxis(q.scales(), new long[q.scales().length], q.axis());
    }

    // ------------------------------------------------------------------------------------------
    // int8 and 16x8

    /** How an op's output parameters are chosen. */
    private enum Out { RANGE, SAME_AS_INPUT, FIXED, CONCAT, NONE }

    /** A quantizable op: its versions for int8 and int16 activations (0 = no kernel) and its output rule. */
    private record Rule(int int8Version, int int16Version, Out out) {
    }

    private static final Map<BuiltinOperator, Rule> RULES = new EnumMap<>(BuiltinOperator.class);

    static {
        RULES.put(BuiltinOperator.CONV_2D, new Rule(3, 4, Out.RANGE));
        RULES.put(BuiltinOperator.DEPTHWISE_CONV_2D, new Rule(3, 5, Out.RANGE));
        RULES.put(BuiltinOperator.FULLY_CONNECTED, new Rule(4, 7, Out.RANGE));
        RULES.put(BuiltinOperator.ADD, new Rule(2, 3, Out.RANGE));
        RULES.put(BuiltinOperator.SUB, new Rule(2, 5, Out.RANGE));
        RULES.put(BuiltinOperator.MUL, new Rule(2, 4, Out.RANGE));
        RULES.put(BuiltinOperator.MEAN, new Rule(2, 3, Out.RANGE));
        RULES.put(BuiltinOperator.RELU, new Rule(2, 3, Out.RANGE));
        RULES.put(BuiltinOperator.RELU6, new Rule(2, 3, Out.RANGE));
        RULES.put(BuiltinOperator.AVERAGE_POOL_2D, new Rule(2, 3, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.MAX_POOL_2D, new Rule(2, 3, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.RESHAPE, new Rule(1, 1, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.SQUEEZE, new Rule(1, 1, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.PAD, new Rule(2, 3, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.SPACE_TO_BATCH_ND, new Rule(2, 4, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.BATCH_TO_SPACE_ND, new Rule(2, 4, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.STRIDED_SLICE, new Rule(2, 0, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.TRANSPOSE, new Rule(2, 5, Out.SAME_AS_INPUT));
        RULES.put(BuiltinOperator.SOFTMAX, new Rule(2, 3, Out.FIXED));
        RULES.put(BuiltinOperator.LOGISTIC, new Rule(2, 3, Out.FIXED));
        RULES.put(BuiltinOperator.TANH, new Rule(2, 3, Out.FIXED));
        RULES.put(BuiltinOperator.CONCATENATION, new Rule(2, 3, Out.CONCAT));
        RULES.put(BuiltinOperator.ARG_MAX, new Rule(2, 0, Out.NONE));
    }

    private static boolean hasWeights(BuiltinOperator c) {
        return c == BuiltinOperator.CONV_2D || c == BuiltinOperator.DEPTHWISE_CONV_2D || c == BuiltinOperator.FULLY_CONNECTED;
    }

    private static final class IntegerPass extends Pass {
        private static final int NEUTRAL = 0;
        private static final int QUANT = 1;
        private static final int FLOAT = 2;

        private final QuantizeOptions o;
        private final ActivationStats stats;
        private final boolean int16;
        private final TensorType act;
        private final int[] qVer;
        private final int[] fVer;
        private final boolean[] qHome;
        private final Map<Integer, Integer> quantConst = new HashMap<>();
        private final Map<Integer, Integer> quantWeights = new HashMap<>();
        private final Tensor[] carriers;
        /** Float32 non-constant tensors of the float model (types change as the pass goes). */
        private final boolean[] floatAct;

        IntegerPass(Model m, QuantizeOptions o, ActivationStats stats) {
            super(m);
            this.floatAct = new boolean[originalTensors];
            for (int t = 0; t < originalTensors; t++) {
                floatAct[t] = isFloatActivation(t);
            }
            this.o = o;
            this.stats = stats;
            this.int16 = o.mode() == QuantizeOptions.Mode.INT16X8;
            this.act = int16 ? TensorType.INT16 : TensorType.INT8;
            this.qVer = new int[originalTensors];
            this.fVer = new int[originalTensors];
            this.qHome = new boolean[originalTensors];
            Arrays.fill(qVer, -1);
            Arrays.fill(fVer, -1);
            this.carriers = identityCarriers();
        }

        Result run() {
            int[] cls = new int[original.size()];
            String[] reason = new String[original.size()];
            List<String> refused = new ArrayList<>();
            for (int i = 0; i < original.size(); i++) {
                reason[i] = classify(original.get(i));
                cls[i] = reason[i] == null ? QUANT : reason[i].isEmpty() ? NEUTRAL : FLOAT;
                if (cls[i] == FLOAT) {
                    refused.add(describe(i, original.get(i)) + ": " + reason[i]);
                }
            }
            if (o.strict() && !refused.isEmpty()) {
                throw new UnsupportedModelException("--strict: " + refused.size() + " operator(s) cannot be quantized to "
                        + (int16 ? "16x8" : "int8") + ": " + String.join("; ", refused));
            }
            leftFloat.addAll(refused);
            int[] graphOut = g.outputs();
            for (int t : g.inputs()) {
                // Quantized at home when some quantized op reads it (or the I/O type says so); an input
                // only float ops read stays float instead of going through QUANTIZE and DEQUANTIZE.
                boolean quantReader = false;
                for (int i = 0; i < original.size(); i++) {
                    for (int in : original.get(i).inputs()) {
                        quantReader |= in == t && cls[i] == QUANT;
                    }
                }
                qHome[t] = isFloatActivation(t) && (quantReader || o.io() != QuantizeOptions.IoType.FLOAT);
            }
            for (int i = 0; i < original.size(); i++) {
                for (int t : original.get(i).outputs()) {
                    if (isFloatActivation(t)) {
                        boolean isOut = Arrays.stream(graphOut).anyMatch(x -> x == t);
                        qHome[t] = cls[i] == QUANT || (cls[i] == FLOAT && isOut && o.io() != QuantizeOptions.IoType.FLOAT);
                    }
                }
            }
            for (int t : g.inputs()) {
                if (qHome[t]) {
                    if (!stats.has(t)) {
                        throw new InvalidInputException("calibration gave no range for input '" + g.tensor(t).name() + "'");
                    }
                    setQ(t, rangeParams(t));
                }
            }
            for (int i = 0; i < original.size(); i++) {
                Operator op = original.get(i);
                switch (cls[i]) {
                    case QUANT -> quantizeOp(i, op);
                    case FLOAT -> floatOp(i, op);
                    default -> out.add(op);
                }
            }
            installOperators();
            edges();
            return finish(carriers);
        }

        /** Null: quantizable; empty: no float activations (left as is); else why it stays float. */
        private String classify(Operator op) {
            boolean anyFloat = false;
            for (int[] list : new int[][] {op.inputs(), op.outputs()}) {
                for (int t : list) {
                    anyFloat |= isFloatActivation(t);
                }
            }
            BuiltinOperator c = code(op);
            if (!anyFloat || c == BuiltinOperator.SHAPE) {
                return "";
            }
            if (c == null) {
                return "custom operator " + opName(op);
            }
            Rule r = RULES.get(c);
            if (r == null || (int16 ? r.int16Version() : r.int8Version()) == 0) {
                return "TFLite has no " + (int16 ? "16x8" : "int8") + " kernel for " + c.name() + " that Whittle targets";
            }
            if (hasWeights(c)) {
                if (op.inputCount() < 2 || !isFloatConst(op.input(1))) {
                    return "its weights are not a float32 constant";
                }
                if (op.inputCount() > 2 && op.input(2) >= 0 && !isFloatConst(op.input(2))) {
                    return "its bias is not a float32 constant";
                }
            }
            for (int k = 0; k < op.inputCount(); k++) {
                int t = op.input(k);
                if (t < 0) {
                    continue;
                }
                Tensor tt = g.tensor(t);
                if (tt.type() == TensorType.FLOAT32 && !m.isConstant(tt) && !stats.has(t)) {
                    return "no calibration range for its input '" + tt.name() + "'";
                }
                if (tt.type() != TensorType.FLOAT32 && tt.type() != TensorType.INT32 && tt.type() != TensorType.INT64) {
                    return "input '" + tt.name() + "' has type " + tt.type();
                }
            }
            for (int t : op.outputs()) {
                if (isFloatActivation(t) && !stats.has(t) && (r.out() == Out.RANGE || r.out() == Out.CONCAT)) {
                    return "no calibration range for its output '" + g.tensor(t).name() + "'";
                }
            }
            return null;
        }

        private void setQ(int t, Quantization q) {
            g.tensor(t).setType(act).setQuantization(q);
        }

        private Quantization rangeParams(int t) {
            int levels = int16 ? 65535 : 255;
            double[] r = stats.range(t, o.method(), levels, int16);
            return params(r[0], r[1]);
        }

        private Quantization params(double lo, double hi) {
            lo = Math.min(lo, 0);
            hi = Math.max(hi, 0);
            if (int16) {
                double a = Math.max(-lo, hi);
                return Quantization.perTensor(a == 0 ? 1.0 : a / 32767.0, 0);
            }
            if (hi - lo == 0) {
                return Quantization.perTensor(1.0, -128);
            }
            float scale = (float) ((hi - lo) / 255.0);
            double zpFromMin = -128 - lo / scale;
            long zp = zpFromMin < -128 ? -128 : zpFromMin > 127 ? 127 : (long) Tensors.round(zpFromMin);
            return Quantization.perTensor(scale, zp);
        }

        private Quantization fixed(BuiltinOperator c) {
            if (int16) {
                return Quantization.perTensor(1.0 / 32768, 0);
            }
            return c == BuiltinOperator.TANH ? Quantization.perTensor(1.0 / 128, 0) : Quantization.perTensor(1.0 / 256, -128);
        }

        /** The quantized version of activation {@code t} (itself when it is quantized at home). */
        private int qVersion(int t) {
            if (qHome[t]) {
                return t;
            }
            if (qVer[t] < 0) {
                Tensor tt = g.tensor(t);
                qVer[t] = newTensor(tt.name() + (int16 ? "_int16" : "_int8"), act, tt, rangeParams(t));
                out.add(newOp(BuiltinOperator.QUANTIZE, int16 ? 2 : 1, new int[] {t}, new int[] {qVer[t]}));
            }
            return qVer[t];
        }

        /** The float version of activation {@code t}. */
        private int fVersion(int t) {
            if (!qHome[t]) {
                return t;
            }
            if (fVer[t] < 0) {
                Tensor tt = g.tensor(t);
                fVer[t] = newTensor(tt.name() + "_dequantized", TensorType.FLOAT32, tt, null);
                out.add(newOp(BuiltinOperator.DEQUANTIZE, int16 ? 3 : 2, new int[] {t}, new int[] {fVer[t]}));
            }
            return fVer[t];
        }

        private int quantizeConstant(int t) {
            Integer done = quantConst.get(t);
            if (done != null) {
                return done;
            }
            Tensor tt = g.tensor(t);
            float[] v = WeightQuantizer.floats(m, tt);
            double lo = 0;
            double hi = 0;
            for (float f : v) {
                lo = Math.min(lo, f);
                hi = Math.max(hi, f);
            }
            Quantization q = params(lo, hi);
            byte[] bytes = Tensors.encode(v, act, tt.shape(), q, tt.name()).bytes();
            int r;
            if (consumers[t] == 1) {
                setConstant(t, act, bytes, q);
                r = t;
            } else {
                r = newConstant(tt.name() + "_quantized", act, tt, bytes, q);
            }
            quantConst.put(t, r);
            return r;
        }

        private void quantizeOp(int position, Operator op) {
            BuiltinOperator c = code(op);
            Rule rule = RULES.get(c);
            boolean weights = hasWeights(c);
            for (int k = 0; k < op.inputCount(); k++) {
                int t = op.input(k);
                if (t < 0 || g.tensor(t).type() != TensorType.FLOAT32 || (weights && k >= 1)) {
                    continue;
                }
                op.setInput(k, isConst(t) ? quantizeConstant(t) : qVersion(t));
            }
            double weightSqnr = Double.NaN;
            String scheme = int16 ? "16x8" : "int8";
            if (weights) {
                int axis = c == BuiltinOperator.CONV_2D ? 0 : c == BuiltinOperator.DEPTHWISE_CONV_2D ? 3
                        : o.fcPerChannel() ? 0 : -1;
                float inScale = g.tensor(op.input(0)).quantization().scalarScale();
                int wt = op.input(1);
                Tensor w = g.tensor(wt);
                WeightQuantizer.Weights q = WeightQuantizer.symmetricInt8(WeightQuantizer.floats(m, w), w.shape(), axis);
                weightSqnr = q.sqnrDb();
                Integer done = quantWeights.get(wt);
                if (done == null) {
                    if (consumers[wt] == 1) {
                        setConstant(wt, TensorType.INT8, q.data(), weightQuantization(q));
                        done = wt;
                    } else {
                        done = newConstant(w.name() + "_int8", TensorType.INT8, w, q.data(), weightQuantization(q));
                    }
                    quantWeights.put(wt, done);
                }
                op.setInput(1, done);
                scheme += axis >= 0 ? ", weights per channel (axis " + axis + ")" : ", weights per tensor";
                if (op.inputCount() > 2 && op.input(2) >= 0) {
                    int bt = op.input(2);
                    Tensor b = g.tensor(bt);
                    float[] bScales = WeightQuantizer.biasScales(inScale, q.scales());
                    byte[] bytes = WeightQuantizer.bias(WeightQuantizer.floats(m, b), bScales, int16);
                    Quantization bq = bScales.length == 1 ? Quantization.perTensor(bScales[0], 0)
                            : Quantization.perAxis(bScales, new long[bScales.length], 0);
                    TensorType bType = int16 ? TensorType.INT64 : TensorType.INT32;
                    if (consumers[bt] == 1) {
                        setConstant(bt, bType, bytes, bq);
                    } else {
                        op.setInput(2, newConstant(b.name() + "_quantized", bType, b, bytes, bq));
                    }
                }
            }
            Quantization outQ = null;
            for (int k = 0; k < op.outputCount(); k++) {
                int t = op.output(k);
                if (!isFloatActivation(t)) {
                    continue;
                }
                outQ = switch (rule.out()) {
                    case RANGE, CONCAT, NONE -> rangeParams(t);
                    case SAME_AS_INPUT -> g.tensor(op.input(0)).quantization().copy();
                    case FIXED -> fixed(c);
                };
                setQ(t, outQ);
            }
            if (rule.out() == Out.CONCAT && outQ != null) {
                for (int k = 0; k < op.inputCount(); k++) {
                    int t = op.input(k);
                    Quantization iq = g.tensor(t).quantization();
                    if (iq.scalarScale() != outQ.scalarScale() || iq.scalarZeroPoint() != outQ.scalarZeroPoint()) {
                        int rq = newTensor(g.tensor(t).name() + "_requantized", act, g.tensor(t), outQ.copy());
                        out.add(newOp(BuiltinOperator.QUANTIZE, int16 ? 2 : 1, new int[] {t}, new int[] {rq}));
                        op.setInput(k, rq);
                    }
                }
            }
            int version = int16 ? rule.int16Version() : rule.int8Version();
            if (c == BuiltinOperator.FULLY_CONNECTED && !int16) {
                BuiltinOptions opts = op.builtinOptions();
                if (op.inputCount() == 2) {
                    version = 6;
                } else if (opts != null && opts.isPresent("keep_num_dims") && opts.getBool("keep_num_dims")) {
                    version = 5;
                }
            }
            if (int16 && (c == BuiltinOperator.ADD || c == BuiltinOperator.SUB)) {
                // The general int16 kernel; pot_scale_int16 (default true) would demand power-of-two scales.
                BuiltinOptions opts = op.builtinOptions() != null ? op.builtinOptions()
                        : BuiltinOptions.of(c == BuiltinOperator.ADD ? "AddOptions" : "SubOptions");
                opts.set("pot_scale_int16", false);
                op.setBuiltinOptions(opts);
            }
            setVersion(op, version);
            out.add(op);
            int o0 = op.outputCount() > 0 ? op.output(0) : -1;
            layers.add(new Layer(position, opName(op), o0 >= 0 ? g.tensor(o0).name() : "", o0, scheme, weightSqnr));
        }

        private void floatOp(int position, Operator op) {
            for (int k = 0; k < op.inputCount(); k++) {
                int t = op.input(k);
                if (t >= 0 && t < originalTensors && floatAct[t]) {
                    op.setInput(k, fVersion(t));
                }
            }
            List<int[]> after = new ArrayList<>();
            for (int k = 0; k < op.outputCount(); k++) {
                int t = op.output(k);
                if (t >= 0 && t < originalTensors && floatAct[t] && qHome[t]) {
                    Tensor tt = g.tensor(t);
                    int f = newTensor(tt.name() + "_float", TensorType.FLOAT32, tt, null);
                    fVer[t] = f;
                    op.setOutput(k, f);
                    setQ(t, rangeParams(t));
                    after.add(new int[] {f, t});
                }
            }
            out.add(op);
            for (int[] p : after) {
                out.add(newOp(BuiltinOperator.QUANTIZE, int16 ? 2 : 1, new int[] {p[0]}, new int[] {p[1]}));
            }
            int o0 = op.outputCount() > 0 ? op.output(0) : -1;
            layers.add(new Layer(position, opName(op), o0 >= 0 ? g.tensor(o0).name() : "", o0, "float", Double.NaN));
        }

        /** Graph inputs and outputs in the requested I/O type, keeping their tensor indices (signatures stay valid). */
        private void edges() {
            QuantizeOptions.IoType io = o.io();
            if (io == QuantizeOptions.IoType.INT8) {
                return;
            }
            for (int t : g.inputs()) {
                Tensor tt = g.tensor(t);
                if (tt.type() != act || !qHome[t]) {
                    continue;
                }
                Quantization q = tt.quantization();
                int tq = newTensor(tt.name() + (int16 ? "_int16" : "_int8"), act, tt, q.copy());
                if (io == QuantizeOptions.IoType.FLOAT) {
                    tt.setType(TensorType.FLOAT32).setQuantization(null);
                } else {
                    tt.setType(TensorType.UINT8).setQuantization(Quantization.perTensor(q.scalarScale(), q.scalarZeroPoint() + 128));
                }
                g.insertOperator(0, newOp(BuiltinOperator.QUANTIZE, int16 ? 2 : 1, new int[] {t}, new int[] {tq}));
                replaceInputs(t, tq, 1);
                carriers[t] = g.tensor(tq);
            }
            for (int t : g.outputs()) {
                Tensor tt = g.tensor(t);
                if (tt.type() != act) {
                    continue;
                }
                int p = g.producerOf(t);
                if (p < 0) {
                    continue;
                }
                Quantization q = tt.quantization();
                int tq = newTensor(tt.name() + (int16 ? "_int16" : "_int8"), act, tt, q.copy());
                Operator prod = g.operator(p);
                for (int k = 0; k < prod.outputCount(); k++) {
                    if (prod.output(k) == t) {
                        prod.setOutput(k, tq);
                    }
                }
                Operator conv;
                if (io == QuantizeOptions.IoType.FLOAT) {
                    tt.setType(TensorType.FLOAT32).setQuantization(null);
                    conv = newOp(BuiltinOperator.DEQUANTIZE, int16 ? 3 : 2, new int[] {tq}, new int[] {t});
                } else {
                    tt.setType(TensorType.UINT8).setQuantization(Quantization.perTensor(q.scalarScale(), q.scalarZeroPoint() + 128));
                    conv = newOp(BuiltinOperator.QUANTIZE, 1, new int[] {tq}, new int[] {t});
                }
                g.insertOperator(p + 1, conv);
                replaceInputs(t, tq, p + 2);
                carriers[t] = g.tensor(tq);
            }
        }
    }
}
