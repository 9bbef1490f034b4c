package dev.whittle.edgetpu;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.Operator;
import dev.whittle.model.OperatorCode;
import dev.whittle.model.Subgraph;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;

/**
 * The Edge TPU compiler's documented rules for one operator, as Coral's "TensorFlow models on
 * the Edge TPU" page states them: every tensor 8-bit quantized, shapes fixed at compile time,
 * parameters constant, at most three dimensions larger than 1, and the supported-operation
 * table with each operation's restrictions. {@link #reason} answers why an operator cannot be
 * mapped, or null when it can.
 *
 * <p>Where the table only says "depending on size, may not be mapped" (the resize operations,
 * some reshapes), the rule here is Whittle's reading and says so in its reason; see
 * {@link #resizeReason}.
 */
final class EdgeTpuRules {
    private EdgeTpuRules() {
    }

    /** Restriction of a supported operation beyond the general rules; null when none applies. */
    private interface Restriction {
        String check(Model m, Subgraph g, Operator op);
    }

    /**
     * Which inputs carry data (activations, may be computed); every other input is a parameter
     * that the compiler needs as a constant. Absent from the map: all inputs are data.
     */
    private static final Map<BuiltinOperator, int[]> DATA_INPUTS = new EnumMap<>(BuiltinOperator.class);

    /** The supported-operation table: operator -> its restriction (NONE: no restriction). */
    private static final Map<BuiltinOperator, Restriction> SUPPORTED = new EnumMap<>(BuiltinOperator.class);

    private static final Restriction NONE = (m, g, op) -> null;

    /** Where the table says the batch dimension may not take part (axis 0 of NHWC). */
    private static final Set<BuiltinOperator> NO_BATCH_AXIS = Set.of(BuiltinOperator.MEAN, BuiltinOperator.SUM,
            BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN);

    static {
        for (BuiltinOperator b : new BuiltinOperator[] {BuiltinOperator.ADD, BuiltinOperator.SUB, BuiltinOperator.MUL,
                BuiltinOperator.MAXIMUM, BuiltinOperator.MINIMUM, BuiltinOperator.SQUARED_DIFFERENCE,
                BuiltinOperator.LOGISTIC, BuiltinOperator.TANH, BuiltinOperator.RELU, BuiltinOperator.RELU6,
                BuiltinOperator.RELU_N1_TO_1, BuiltinOperator.RSQRT, BuiltinOperator.L2_NORMALIZATION,
                BuiltinOperator.EXPAND_DIMS, BuiltinOperator.SQUEEZE, BuiltinOperator.SLICE,
                BuiltinOperator.SPACE_TO_DEPTH, BuiltinOperator.TRANSPOSE, BuiltinOperator.TRANSPOSE_CONV,
                BuiltinOperator.QUANTIZE, BuiltinOperator.PRELU}) {
            SUPPORTED.put(b, NONE);
        }
        SUPPORTED.put(BuiltinOperator.RESHAPE, NONE);
        SUPPORTED.put(BuiltinOperator.AVERAGE_POOL_2D, EdgeTpuRules::noFusedActivation);
        SUPPORTED.put(BuiltinOperator.MAX_POOL_2D, EdgeTpuRules::noFusedActivation);
        SUPPORTED.put(BuiltinOperator.CONCATENATION, EdgeTpuRules::concatenation);
        SUPPORTED.put(BuiltinOperator.CONV_2D, EdgeTpuRules::sameDilation);
        SUPPORTED.put(BuiltinOperator.DEPTHWISE_CONV_2D, EdgeTpuRules::sameDilation);
        SUPPORTED.put(BuiltinOperator.FULLY_CONNECTED, EdgeTpuRules::fullyConnected);
        SUPPORTED.put(BuiltinOperator.MEAN, EdgeTpuRules::reduction);
        SUPPORTED.put(BuiltinOperator.SUM, EdgeTpuRules::reduction);
        SUPPORTED.put(BuiltinOperator.REDUCE_MAX, EdgeTpuRules::reduction);
        SUPPORTED.put(BuiltinOperator.REDUCE_MIN, EdgeTpuRules::reduction);
        SUPPORTED.put(BuiltinOperator.PACK, EdgeTpuRules::pack);
        SUPPORTED.put(BuiltinOperator.PAD, EdgeTpuRules::pad);
        SUPPORTED.put(BuiltinOperator.SPLIT, EdgeTpuRules::split);
        SUPPORTED.put(BuiltinOperator.STRIDED_SLICE, EdgeTpuRules::stridedSlice);
        SUPPORTED.put(BuiltinOperator.SOFTMAX, EdgeTpuRules::softmax);
        SUPPORTED.put(BuiltinOperator.RESIZE_BILINEAR, EdgeTpuRules::resizeReason);
        SUPPORTED.put(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, EdgeTpuRules::resizeReason);
        // The table's LSTM row says "unidirectional LSTM only".
        SUPPORTED.put(BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM, NONE);

        DATA_INPUTS.put(BuiltinOperator.CONV_2D, new int[] {0});
        DATA_INPUTS.put(BuiltinOperator.DEPTHWISE_CONV_2D, new int[] {0});
        DATA_INPUTS.put(BuiltinOperator.FULLY_CONNECTED, new int[] {0});
        DATA_INPUTS.put(BuiltinOperator.TRANSPOSE_CONV, new int[] {2});
        DATA_INPUTS.put(BuiltinOperator.PRELU, new int[] {0});
        for (BuiltinOperator b : new BuiltinOperator[] {BuiltinOperator.RESHAPE, BuiltinOperator.RESIZE_BILINEAR,
                BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, BuiltinOperator.MEAN, BuiltinOperator.SUM,
                BuiltinOperator.REDUCE_MAX, BuiltinOperator.REDUCE_MIN, BuiltinOperator.PAD,
                BuiltinOperator.STRIDED_SLICE, BuiltinOperator.SLICE, BuiltinOperator.TRANSPOSE,
                BuiltinOperator.EXPAND_DIMS, BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM}) {
            DATA_INPUTS.put(b, new int[] {0});
        }
        DATA_INPUTS.put(BuiltinOperator.SPLIT, new int[] {1});
    }

    /** Whether {@code b} is in the compiler's supported-operation table. */
    static boolean inTable(BuiltinOperator b) {
        return b != null && SUPPORTED.containsKey(b);
    }

    /**
     * Why operator {@code index} of {@code g} cannot be mapped to the Edge TPU, or null when
     * the documented rules allow it.
     */
    static String reason(Model m, Subgraph g, int index) {
        Operator op = g.operator(index);
        OperatorCode code = m.operatorCodeOf(op);
        if (code.isCustom()) {
            return "custom operator '" + code.customCode() + "' is not in the Edge TPU's supported operations";
        }
        BuiltinOperator b = code.builtin();
        if (b == BuiltinOperator.DEQUANTIZE) {
            return "DEQUANTIZE produces float32, which the Edge TPU does not compute";
        }
        if (!inTable(b)) {
            return code.name() + " is not in the Edge TPU's supported operations";
        }
        String general = generalRules(m, g, op, b);
        if (general != null) {
            return general;
        }
        return SUPPORTED.get(b).check(m, g, op);
    }

    /** The rules every mapped operator follows: 8-bit tensors, static shapes, constant parameters, 3 dims. */
    private static String generalRules(Model m, Subgraph g, Operator op, BuiltinOperator b) {
        int[] ins = op.inputs();
        int[] data = DATA_INPUTS.get(b);
        for (int k = 0; k < ins.length; k++) {
            int t = ins[k];
            if (t < 0) {
                continue;
            }
            Tensor x = g.tensor(t);
            boolean constant = m.isConstant(x);
            boolean isData = data == null || contains(data, k);
            if (!isData && !constant && !x.isVariable()) {
                return "input " + k + " " + describe(x) + " is computed at run time; the Edge TPU compiler needs "
                        + (isWeights(b, k) ? "weights and biases" : "this parameter") + " as constants";
            }
            String r = tensorRule(m, x, constant, "input " + k);
            if (r != null) {
                return r;
            }
        }
        for (int t : op.outputs()) {
            if (t >= 0) {
                String r = tensorRule(m, g.tensor(t), false, "output");
                if (r != null) {
                    return r;
                }
            }
        }
        return null;
    }

    private static boolean isWeights(BuiltinOperator b, int k) {
        return switch (b) {
            case CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED -> k >= 1;
            case TRANSPOSE_CONV -> k == 1 || k == 3;
            default -> false;
        };
    }

    private static String tensorRule(Model m, Tensor x, boolean constant, String role) {
        TensorType ty = x.type();
        if (constant) {
            // Parameters: 8-bit weights, int32 biases and int32/int64 shape or axis operands.
            if (ty != TensorType.UINT8 && ty != TensorType.INT8 && ty != TensorType.INT32 && ty != TensorType.INT64) {
                return role + " " + describe(x) + " is a " + ty.name().toLowerCase() + " constant; the Edge TPU needs "
                        + "8-bit quantized weights (int32 only for biases and shape operands)";
            }
            return null;
        }
        if (ty != TensorType.UINT8 && ty != TensorType.INT8) {
            return role + " " + describe(x) + " is " + ty.name().toLowerCase()
                    + "; the Edge TPU computes only 8-bit quantized (uint8/int8) tensors";
        }
        if (x.quantization() == null || x.quantization().scaleCount() == 0) {
            return role + " " + describe(x) + " is " + ty.name().toLowerCase()
                    + " without quantization parameters; the Edge TPU needs quantized tensors (scale and zero point)";
        }
        int[] sig = x.shapeSignature();
        if (sig != null) {
            // TFLite's converter writes a Keras model's free batch as -1 in the signature
            // beside batch 1 in the shape; the compiler takes the shape (batch 1), so only a
            // free dimension past the batch makes the shape unknown at compile time.
            for (int i = 1; i < sig.length; i++) {
                int d = sig[i];
                if (d < 0) {
                    return role + " " + describe(x) + " has a dynamic dimension (shape signature " + Arrays.toString(sig)
                            + "); the Edge TPU needs shapes fixed at compile time";
                }
            }
        }
        int[] s = x.shape();
        for (int i = 0; i + 3 < s.length; i++) {
            if (s[i] > 1) {
                return role + " " + describe(x) + " has more than three dimensions larger than 1; only the innermost"
                        + " three may exceed 1";
            }
        }
        return null;
    }

    // ---- restrictions of the supported-operation table ----

    private static String noFusedActivation(Model m, Subgraph g, Operator op) {
        int act = optInt(op, "fused_activation_function", 0);
        return act == 0 ? null : "fused activation function " + activation(act) + " is not supported on this operation";
    }

    private static String concatenation(Model m, Subgraph g, Operator op) {
        String a = noFusedActivation(m, g, op);
        if (a != null) {
            return a;
        }
        int constants = 0;
        for (int t : op.inputs()) {
            Tensor x = g.tensor(t);
            ByteBuffer d = m.constantData(x);
            if (d != null) {
                constants++;
                if (!allZeroPoint(d, x)) {
                    return "constant input " + describe(x) + " is not all zeros; a constant input is allowed only as"
                            + " zero padding";
                }
            }
        }
        if (constants > 0 && op.inputs().length != 2) {
            return "a constant input is allowed only when there are exactly 2 inputs (zero padding)";
        }
        return null;
    }

    private static String sameDilation(Model m, Subgraph g, Operator op) {
        int w = optInt(op, "dilation_w_factor", 1);
        int h = optInt(op, "dilation_h_factor", 1);
        return w == h ? null : "dilation differs in x (" + w + ") and y (" + h + "); the Edge TPU needs the same dilation";
    }

    private static String fullyConnected(Model m, Subgraph g, Operator op) {
        int fmt = optInt(op, "weights_format", 0);
        if (fmt != 0) {
            return "weights_format " + fmt + " is not the default format, the only one supported";
        }
        Tensor out = g.tensor(op.output(0));
        if (dimsAboveOne(out.shape()) > 1) {
            return "output " + describe(out) + " is not one-dimensional (only batch 1 is supported)";
        }
        return null;
    }

    private static String reduction(Model m, Subgraph g, Operator op) {
        Tensor in = g.tensor(op.input(0));
        int[] axes = constInts(m, g.tensor(op.input(1)));
        if (axes == null) {
            return null;
        }
        int rank = in.rank();
        for (int a : axes) {
            int ax = a < 0 ? a + rank : a;
            if (rank >= 2 && ax == 0) {
                return "reduces the batch dimension (axis 0), which the Edge TPU does not";
            }
            if (ax == rank - 1 && rank >= 3 && in.dim(ax) % 4 != 0
                    && m.operatorCodeOf(op).builtin() == BuiltinOperator.MEAN) {
                return "reduces the channel (z) dimension of size " + in.dim(ax) + ", which must be a multiple of 4";
            }
        }
        return null;
    }

    private static String pack(Model m, Subgraph g, Operator op) {
        Tensor out = g.tensor(op.output(0));
        int ax = optInt(op, "axis", 0);
        ax = ax < 0 ? ax + out.rank() : ax;
        return out.rank() >= 2 && ax == 0 ? "packs along the batch dimension (axis 0), which the Edge TPU does not" : null;
    }

    private static String pad(Model m, Subgraph g, Operator op) {
        Tensor in = g.tensor(op.input(0));
        int[] p = constInts(m, g.tensor(op.input(1)));
        if (p != null && in.rank() >= 2 && p.length >= 2 && (p[0] != 0 || p[1] != 0)) {
            return "pads the batch dimension, which the Edge TPU does not";
        }
        return null;
    }

    private static String split(Model m, Subgraph g, Operator op) {
        int[] axis = constInts(m, g.tensor(op.input(0)));
        Tensor in = g.tensor(op.input(1));
        if (axis != null && axis.length == 1) {
            int ax = axis[0] < 0 ? axis[0] + in.rank() : axis[0];
            if (in.rank() >= 2 && ax == 0) {
                return "splits along the batch dimension (axis 0), which the Edge TPU does not";
            }
        }
        return null;
    }

    private static String stridedSlice(Model m, Subgraph g, Operator op) {
        if (optInt(op, "ellipsis_mask", 0) != 0 || optInt(op, "new_axis_mask", 0) != 0) {
            return "uses an ellipsis or new-axis mask, which the Edge TPU does not support";
        }
        if (op.inputCount() > 3) {
            int[] strides = constInts(m, g.tensor(op.input(3)));
            if (strides != null) {
                for (int s : strides) {
                    if (s != 1) {
                        return "strides " + Arrays.toString(strides) + " are not all 1 (the Edge TPU supports only a"
                                + " plain slice)";
                    }
                }
            }
        }
        return null;
    }

    /** The table: 1-D input (one dimension above 1) with at most 16,000 elements. */
    private static String softmax(Model m, Subgraph g, Operator op) {
        Tensor in = g.tensor(op.input(0));
        if (dimsAboveOne(in.shape()) > 1) {
            return "input " + describe(in) + " is not one-dimensional; the Edge TPU's softmax takes a 1-D tensor";
        }
        if (in.elementCount() > 16_000) {
            return "input has " + in.elementCount() + " elements; the Edge TPU's softmax takes at most 16,000";
        }
        return null;
    }

    /**
     * RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR: the table says the input and output are 3-D
     * tensors (batch 1) and that, depending on the sizes, the compiler may leave the operation
     * on the CPU to avoid a loss in precision ("won't run precisely enough" in its log).
     *
     * <p>Whittle's reading of that size rule: the operation is mapped when its sampling grid
     * falls on the input at an integer ratio, so that the interpolation weights are exact in
     * fixed point: with {@code align_corners}, {@code (out - 1)} a multiple of
     * {@code (in - 1)} on each spatial axis (an input of size 1 has no such grid: every
     * output is one sample, which the compiler refuses); otherwise {@code out} a multiple of
     * {@code in}. An identity resize (same size) is always mapped.
     */
    static String resizeReason(Model m, Subgraph g, Operator op) {
        Tensor in = g.tensor(op.input(0));
        Tensor out = g.tensor(op.output(0));
        if (in.rank() != 4 || out.rank() != 4 || in.dim(0) != 1) {
            return "input " + describe(in) + " is not a 3-dimensional (batch 1) image";
        }
        boolean align = optBool(op, "align_corners");
        for (int axis = 1; axis <= 2; axis++) {
            int i = in.dim(axis);
            int o = out.dim(axis);
            if (i == o) {
                continue;
            }
            String why = null;
            if (align) {
                if (i == 1) {
                    why = "an input of size 1 with align_corners";
                } else if ((o - 1) % (i - 1) != 0) {
                    why = "align_corners ratio (" + (o - 1) + ")/(" + (i - 1) + ") is not an integer";
                }
            } else if (o % i != 0 && i % o != 0) {
                why = "scale " + o + "/" + i + " is not an integer";
            }
            if (why != null) {
                return "resize " + i + " -> " + o + " on axis " + axis + ": " + why + "; the compiler leaves such an"
                        + " image interpolation on the CPU to avoid a loss in precision";
            }
        }
        return null;
    }

    // ---- helpers ----

    static String describe(Tensor x) {
        return "'" + x.name() + "' " + x.type().name().toLowerCase() + Arrays.toString(x.shape());
    }

    private static int dimsAboveOne(int[] shape) {
        int n = 0;
        for (int d : shape) {
            if (d > 1) {
                n++;
            }
        }
        return n;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static String activation(int code) {
        return switch (code) {
            case 1 -> "RELU";
            case 2 -> "RELU_N1_TO_1";
            case 3 -> "RELU6";
            case 4 -> "TANH";
            case 5 -> "SIGN_BIT";
            default -> "#" + code;
        };
    }

    private static int optInt(Operator op, String field, int dflt) {
        BuiltinOptions o = op.options();
        if (o == null) {
            return dflt;
        }
        try {
            return o.getInt(field);
        } catch (RuntimeException e) {
            return dflt;
        }
    }

    private static boolean optBool(Operator op, String field) {
        BuiltinOptions o = op.options();
        if (o == null) {
            return false;
        }
        try {
            return o.getBool(field);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** The values of an int32 or int64 constant, or null when it is not one. */
    static int[] constInts(Model m, Tensor t) {
        ByteBuffer d = m.constantData(t);
        if (d == null) {
            return null;
        }
        ByteBuffer b = d.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (t.type() == TensorType.INT32) {
            int[] v = new int[b.remaining() / 4];
            for (int i = 0; i < v.length; i++) {
                v[i] = b.getInt(b.position() + 4 * i);
            }
            return v;
        }
        if (t.type() == TensorType.INT64) {
            int[] v = new int[b.remaining() / 8];
            for (int i = 0; i < v.length; i++) {
                v[i] = (int) b.getLong(b.position() + 8 * i);
            }
            return v;
        }
        return null;
    }

    /** Whether every element of an 8-bit constant is its zero point (real value 0). */
    private static boolean allZeroPoint(ByteBuffer d, Tensor x) {
        long zp = x.quantization() != null && x.quantization().zeroPoint() != null
                && x.quantization().zeroPoint().length > 0 ? x.quantization().zeroPoint()[0] : 0;
        ByteBuffer b = d.duplicate();
        for (int i = b.position(); i < b.limit(); i++) {
            int v = x.type() == TensorType.UINT8 ? b.get(i) & 0xff : b.get(i);
            if (v != zp) {
                return false;
            }
        }
        return true;
    }
}
