package dev.whittle.model;

import dev.whittle.model.io.ModelValidator;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Builds a single-subgraph {@link Model} one operator at a time, inferring output shapes the
 * way TFLite's kernels compute them and writing options the way TFLite's converter does.
 *
 * <pre>{@code
 * ModelBuilder b = new ModelBuilder("tiny");
 * int x = b.input("input", TensorType.FLOAT32, 1, 8, 8, 3);
 * int w = b.constant("conv/weights", weights, 4, 3, 3, 3);      // OHWI
 * int bias = b.constant("conv/bias", biases, 4);
 * x = b.conv2d("conv", x, w, bias, Padding.SAME, 1, Activation.RELU);
 * b.output(x);
 * Model m = b.build();                                          // validated
 * }</pre>
 *
 * <p>Every method returns a tensor index of the one subgraph. Arguments are checked before
 * anything is added, so a call that throws {@link IllegalArgumentException} leaves the builder
 * as it was. Tensor names must be unique: later tools look tensors up by name. Helper
 * constants an operator needs (a reshape's shape, a mean's axes, a pad's paddings) are named
 * after the operator's output, e.g. {@code <name>/shape}.
 *
 * <p>Quantized graphs: inputs, constants and generic {@link #op} outputs take a
 * {@link Quantization}. The output of a shape-inferring operator gets the same type as its
 * first input and, when that input is quantized, a copy of its parameters (what pooling,
 * reshape, pad and concatenation need); SOFTMAX and LOGISTIC instead get TFLite's fixed
 * output parameters (scale 1/256) and TANH scale 1/128. Where the real output range differs
 * (convolutions, fully connected, add), set it with {@link #setQuantization}. A convolution
 * given no bias gets zeros, with the bias scale derived from input and weights when quantized.
 *
 * <p>A builder builds one model; it is not thread-safe.
 */
public final class ModelBuilder {

    /** Padding of convolutions and pools, with the schema's {@code Padding} codes. */
    public enum Padding {
        /** Output size {@code ceil(in / stride)}; zeros (or nothing, for pools) outside the input. */
        SAME(0),
        /** Only windows that lie wholly inside the input. */
        VALID(1);

        private final int code;

        Padding(int code) {
            this.code = code;
        }

        /** The schema's enum value. */
        public int code() {
            return code;
        }
    }

    /** A fused activation, with the schema's {@code ActivationFunctionType} codes. */
    public enum Activation {
        NONE(0), RELU(1), RELU_N1_TO_1(2), RELU6(3), TANH(4);

        private final int code;

        Activation(int code) {
            this.code = code;
        }

        /** The schema's enum value. */
        public int code() {
            return code;
        }
    }

    /**
     * Type, shape and optional quantization of a tensor a generic {@link #op} writes.
     *
     * @param quantization null for none
     */
    public record TensorSpec(String name, TensorType type, int[] shape, Quantization quantization) {
        public TensorSpec {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            shape = shape.clone();
            quantization = quantization == null ? null : quantization.copy();
        }

        /** A float or other unquantized tensor. */
        public static TensorSpec of(String name, TensorType type, int... shape) {
            return new TensorSpec(name, type, shape, null);
        }

        /** A quantized tensor. */
        public static TensorSpec quantized(String name, TensorType type, Quantization q, int... shape) {
            return new TensorSpec(name, type, shape, Objects.requireNonNull(q, "quantization"));
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorSpec s && s.name.equals(name) && s.type == type && Arrays.equals(s.shape, shape)
                    && Objects.equals(s.quantization, quantization);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, type, Arrays.hashCode(shape));
        }

        @Override
        public String toString() {
            return name + ":" + type + Arrays.toString(shape) + (quantization == null ? "" : " " + quantization);
        }
    }

    private static final int OPERATOR_VERSION = 1;

    private final String name;
    private final Model model = new Model();
    private final Subgraph graph;
    private final Set<String> names = new HashSet<>();
    private final List<Integer> inputs = new ArrayList<>();
    private final List<Integer> outputs = new ArrayList<>();
    private boolean built;

    /**
     * @param name the model's description and the subgraph's name
     */
    public ModelBuilder(String name) {
        this.name = Objects.requireNonNull(name, "name");
        graph = new Subgraph(name);
        model.setDescription(name);
    }

    // ---- tensors ----

    /** Adds a graph input. */
    public int input(String name, TensorType type, int... shape) {
        return input(name, type, null, shape);
    }

    /** Adds a graph input with quantization parameters (null for none). */
    public int input(String name, TensorType type, Quantization quantization, int... shape) {
        checkOpen();
        checkNewName(name);
        checkShape(name, shape);
        int t = addTensor(name, type, quantization, shape);
        inputs.add(t);
        return t;
    }

    /** A FLOAT32 constant; {@code values} in row-major order. */
    public int constant(String name, float[] values, int... shape) {
        ByteBuffer b = little(values.length * 4L);
        b.asFloatBuffer().put(values);
        return constant(name, TensorType.FLOAT32, null, b, values.length, shape);
    }

    /** An INT32 constant (quantized biases, shapes, axes). */
    public int constant(String name, int[] values, int... shape) {
        return constant(name, values, null, shape);
    }

    /** An INT32 constant with quantization parameters, as int8 biases carry. */
    public int constant(String name, int[] values, Quantization quantization, int... shape) {
        ByteBuffer b = little(values.length * 4L);
        b.asIntBuffer().put(values);
        return constant(name, TensorType.INT32, quantization, b, values.length, shape);
    }

    /** An INT64 constant. */
    public int constant(String name, long[] values, int... shape) {
        ByteBuffer b = little(values.length * 8L);
        b.asLongBuffer().put(values);
        return constant(name, TensorType.INT64, null, b, values.length, shape);
    }

    /** An INT16 constant with quantization parameters (null for none). */
    public int constant(String name, short[] values, Quantization quantization, int... shape) {
        ByteBuffer b = little(values.length * 2L);
        b.asShortBuffer().put(values);
        return constant(name, TensorType.INT16, quantization, b, values.length, shape);
    }

    /** An INT8 constant with quantization parameters (null for none), e.g. quantized weights. */
    public int constant(String name, byte[] values, Quantization quantization, int... shape) {
        return constant(name, TensorType.INT8, quantization, ByteBuffer.wrap(values), values.length, shape);
    }

    /**
     * A constant of any fixed-size type from its raw little-endian bytes (the remaining bytes of
     * {@code data}, copied).
     */
    public int constant(String name, TensorType type, Quantization quantization, ByteBuffer data, int... shape) {
        Objects.requireNonNull(type, "type");
        if (!type.hasFixedSize()) {
            throw new IllegalArgumentException("constant '" + name + "': type " + type + " has no fixed element size");
        }
        checkShape(name, shape);
        long expected = type.bytesFor(elements(shape));
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("constant '" + name + "' of type " + type + " and shape "
                    + Arrays.toString(shape) + " needs " + expected + " bytes, got " + data.remaining());
        }
        return addConstant(name, type, quantization, data, shape);
    }

    private int constant(String name, TensorType type, Quantization q, ByteBuffer data, int count, int[] shape) {
        checkShape(name, shape);
        if (count != elements(shape)) {
            throw new IllegalArgumentException("constant '" + name + "' has " + count + " values but shape "
                    + Arrays.toString(shape) + " holds " + elements(shape));
        }
        return addConstant(name, type, q, data, shape);
    }

    private int addConstant(String name, TensorType type, Quantization q, ByteBuffer data, int[] shape) {
        checkOpen();
        checkNewName(name);
        byte[] bytes = new byte[data.remaining()];
        data.duplicate().get(bytes);
        int t = addTensor(name, type, q, shape);
        graph.tensor(t).setBuffer(model.addBuffer(bytes));
        return t;
    }

    /** Marks a tensor as a graph output, in call order. */
    public ModelBuilder output(int tensor) {
        checkOpen();
        checkTensor("output", tensor);
        if (outputs.contains(tensor)) {
            throw new IllegalArgumentException("tensor " + describe(tensor) + " is already an output");
        }
        outputs.add(tensor);
        return this;
    }

    /**
     * Replaces the quantization parameters of a tensor this builder made, typically the output
     * of a convolution in an int8 graph.
     */
    public ModelBuilder setQuantization(int tensor, Quantization quantization) {
        checkOpen();
        checkTensor("tensor", tensor);
        graph.tensor(tensor).setQuantization(quantization == null ? null : quantization.copy());
        return this;
    }

    /** Number of tensors added so far; indices run from 0 to this, exclusive. */
    public int tensorCount() {
        return graph.tensorCount();
    }

    /** The shape of a tensor added so far. */
    public int[] shape(int tensor) {
        checkTensor("tensor", tensor);
        return graph.tensor(tensor).shape();
    }

    /** The element type of a tensor added so far. */
    public TensorType type(int tensor) {
        checkTensor("tensor", tensor);
        return graph.tensor(tensor).type();
    }

    // ---- generic operator ----

    /**
     * Adds any builtin operator with one output whose type and shape the caller gives. Use -1
     * for an omitted optional input.
     *
     * @param options the operator's options, or null: then an operator that has an options
     *                table gets an empty one, as the converter writes it
     */
    public int op(BuiltinOperator op, BuiltinOptions options, int[] inputs, TensorSpec output) {
        return op(op, OPERATOR_VERSION, options, inputs, output)[0];
    }

    /** Adds any builtin operator at a given version with any number of outputs; returns them. */
    public int[] op(BuiltinOperator op, int version, BuiltinOptions options, int[] inputs, TensorSpec... outputs) {
        checkOpen();
        Objects.requireNonNull(op, "op");
        if (op == BuiltinOperator.CUSTOM || op == BuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES) {
            throw new IllegalArgumentException(op + " is not a builtin operator this builder can add");
        }
        if (version < 1) {
            throw new IllegalArgumentException(op + ": operator version must be >= 1, got " + version);
        }
        OptionsSchema schema = OptionsRegistry.forOperator(op);
        if (options != null && options.schema() != schema) {
            throw new IllegalArgumentException(op + " takes " + (schema == null ? "no options" : schema.name())
                    + ", not " + options.schema().name());
        }
        for (int in : inputs) {
            if (in != -1) {
                checkTensor(op + " input", in);
            }
        }
        if (outputs.length == 0) {
            throw new IllegalArgumentException(op + ": at least one output is needed");
        }
        Set<String> fresh = new HashSet<>();
        for (TensorSpec s : outputs) {
            checkNewName(s.name());
            checkShape(s.name(), s.shape());
            if (!fresh.add(s.name())) {
                throw new IllegalArgumentException(op + ": output name '" + s.name() + "' given twice");
            }
        }
        BuiltinOptions opts = options != null ? options.copy() : schema != null ? new BuiltinOptions(schema) : null;
        int[] outs = new int[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            TensorSpec s = outputs[i];
            outs[i] = addTensor(s.name(), s.type(), s.quantization(), s.shape());
        }
        Operator o = new Operator(model.operatorCodeIndex(op, version), inputs, outs);
        if (opts != null) {
            if (opts.schema().union() == OptionsSchema.UNION_1) {
                o.setBuiltinOptions(opts);
            } else {
                o.setBuiltinOptions2(opts);
            }
        }
        graph.addOperator(o);
        return outs;
    }

    /**
     * Adds a custom operator (for example {@code edgetpu-custom-op}, which only a delegate runs)
     * with its raw custom options (null for none), and returns its outputs. TFLite needs a
     * resolver entry or a delegate that claims the operator to run the model.
     */
    public int[] customOp(String customCode, byte[] customOptions, int[] inputs, TensorSpec... outputs) {
        checkOpen();
        if (customCode == null || customCode.isEmpty()) {
            throw new IllegalArgumentException("a custom operator needs a name");
        }
        for (int in : inputs) {
            if (in != -1) {
                checkTensor(customCode + " input", in);
            }
        }
        if (outputs.length == 0) {
            throw new IllegalArgumentException(customCode + ": at least one output is needed");
        }
        Set<String> fresh = new HashSet<>();
        for (TensorSpec s : outputs) {
            checkNewName(s.name());
            checkShape(s.name(), s.shape());
            if (!fresh.add(s.name())) {
                throw new IllegalArgumentException(customCode + ": output name '" + s.name() + "' given twice");
            }
        }
        int[] outs = new int[outputs.length];
        for (int i = 0; i < outputs.length; i++) {
            outs[i] = addTensor(outputs[i].name(), outputs[i].type(), outputs[i].quantization(), outputs[i].shape());
        }
        Operator o = new Operator(model.customOperatorCodeIndex(customCode, OPERATOR_VERSION), inputs, outs);
        if (customOptions != null) {
            o.setCustomOptions(customOptions, 0); // CustomOptionsFormat.FLEXBUFFERS, the only one
        }
        graph.addOperator(o);
        return outs;
    }

    // ---- convolutions ----

    /**
     * CONV_2D with the same stride on both axes and no dilation.
     *
     * @param weights OHWI {@code [out_channels, kh, kw, in_channels]}
     * @param bias    {@code [out_channels]}, or -1 for a zero bias {@code <name>/bias}; TFLite's
     *                CONV_2D needs one
     */
    public int conv2d(String name, int input, int weights, int bias, Padding padding, int stride, Activation act) {
        return conv2d(name, input, weights, bias, padding, stride, stride, 1, 1, act);
    }

    /** CONV_2D in full: NHWC input, OHWI weights, output {@code [n, oh, ow, out_channels]}. */
    public int conv2d(String name, int input, int weights, int bias, Padding padding, int strideH, int strideW,
            int dilationH, int dilationW, Activation act) {
        String what = "conv2d '" + name + "'";
        int[] in = rank4(what, "input", input);
        int[] w = rankN(what, "weights", weights, 4);
        if (w[3] != in[3]) {
            throw new IllegalArgumentException(what + ": weights " + Arrays.toString(w) + " (OHWI) have " + w[3]
                    + " input channels but the input " + Arrays.toString(in) + " has " + in[3]);
        }
        checkBias(what, bias, w[0]);
        checkWindow(what, strideH, strideW, dilationH, dilationW);
        int oh = outSize(what, "height", padding, in[1], w[1], strideH, dilationH);
        int ow = outSize(what, "width", padding, in[2], w[2], strideW, dilationW);
        BuiltinOptions o = BuiltinOptions.of("Conv2DOptions")
                .set("padding", padding.code())
                .set("stride_w", strideW)
                .set("stride_h", strideH)
                .set("fused_activation_function", fused(what, act))
                .set("dilation_w_factor", dilationW)
                .set("dilation_h_factor", dilationH);
        checkNewName(name);
        int b = bias != -1 ? bias : zeroBias(what, name, input, weights, w[0]);
        return sugar(BuiltinOperator.CONV_2D, o, new int[] {input, weights, b}, name, input, in[0], oh, ow, w[0]);
    }

    /**
     * DEPTHWISE_CONV_2D with the same stride on both axes and no dilation; the depth multiplier
     * follows from the weights.
     *
     * @param weights {@code [1, kh, kw, in_channels * multiplier]}
     * @param bias    {@code [in_channels * multiplier]}, or -1 for a zero bias {@code <name>/bias}
     */
    public int depthwiseConv2d(String name, int input, int weights, int bias, Padding padding, int stride,
            Activation act) {
        return depthwiseConv2d(name, input, weights, bias, padding, stride, stride, 1, 1, act);
    }

    /** DEPTHWISE_CONV_2D in full. */
    public int depthwiseConv2d(String name, int input, int weights, int bias, Padding padding, int strideH,
            int strideW, int dilationH, int dilationW, Activation act) {
        String what = "depthwiseConv2d '" + name + "'";
        int[] in = rank4(what, "input", input);
        int[] w = rankN(what, "weights", weights, 4);
        if (w[0] != 1) {
            throw new IllegalArgumentException(what + ": weights " + Arrays.toString(w)
                    + " must be [1, kh, kw, channels * multiplier]");
        }
        if (w[3] % in[3] != 0) {
            throw new IllegalArgumentException(what + ": weights " + Arrays.toString(w) + " have " + w[3]
                    + " output channels, not a multiple of the input's " + in[3] + " channels");
        }
        checkBias(what, bias, w[3]);
        checkWindow(what, strideH, strideW, dilationH, dilationW);
        int oh = outSize(what, "height", padding, in[1], w[1], strideH, dilationH);
        int ow = outSize(what, "width", padding, in[2], w[2], strideW, dilationW);
        BuiltinOptions o = BuiltinOptions.of("DepthwiseConv2DOptions")
                .set("padding", padding.code())
                .set("stride_w", strideW)
                .set("stride_h", strideH)
                .set("depth_multiplier", w[3] / in[3])
                .set("fused_activation_function", fused(what, act))
                .set("dilation_w_factor", dilationW)
                .set("dilation_h_factor", dilationH);
        checkNewName(name);
        int b = bias != -1 ? bias : zeroBias(what, name, input, weights, w[3]);
        return sugar(BuiltinOperator.DEPTHWISE_CONV_2D, o, new int[] {input, weights, b}, name, input, in[0], oh, ow,
                w[3]);
    }

    // ---- pooling ----

    /** MAX_POOL_2D with a square window and equal strides. */
    public int maxPool2d(String name, int input, int filter, int stride, Padding padding) {
        return pool(BuiltinOperator.MAX_POOL_2D, name, input, filter, filter, stride, stride, padding, Activation.NONE);
    }

    /** MAX_POOL_2D in full. */
    public int maxPool2d(String name, int input, int filterH, int filterW, int strideH, int strideW,
            Padding padding, Activation act) {
        return pool(BuiltinOperator.MAX_POOL_2D, name, input, filterH, filterW, strideH, strideW, padding, act);
    }

    /** AVERAGE_POOL_2D with a square window and equal strides; SAME averages only the cells inside. */
    public int averagePool2d(String name, int input, int filter, int stride, Padding padding) {
        return pool(BuiltinOperator.AVERAGE_POOL_2D, name, input, filter, filter, stride, stride, padding,
                Activation.NONE);
    }

    /** AVERAGE_POOL_2D in full. */
    public int averagePool2d(String name, int input, int filterH, int filterW, int strideH, int strideW,
            Padding padding, Activation act) {
        return pool(BuiltinOperator.AVERAGE_POOL_2D, name, input, filterH, filterW, strideH, strideW, padding, act);
    }

    private int pool(BuiltinOperator op, String name, int input, int fh, int fw, int sh, int sw, Padding padding,
            Activation act) {
        String what = op + " '" + name + "'";
        int[] in = rank4(what, "input", input);
        if (fh < 1 || fw < 1) {
            throw new IllegalArgumentException(what + ": filter " + fh + "x" + fw + " must be at least 1x1");
        }
        checkWindow(what, sh, sw, 1, 1);
        int oh = outSize(what, "height", padding, in[1], fh, sh, 1);
        int ow = outSize(what, "width", padding, in[2], fw, sw, 1);
        BuiltinOptions o = BuiltinOptions.of("Pool2DOptions")
                .set("padding", padding.code())
                .set("stride_w", sw)
                .set("stride_h", sh)
                .set("filter_width", fw)
                .set("filter_height", fh)
                .set("fused_activation_function", fused(what, act));
        return sugar(op, o, new int[] {input}, name, input, in[0], oh, ow, in[3]);
    }

    // ---- fully connected, reductions, reshapes ----

    /**
     * FULLY_CONNECTED: the input is flattened to {@code [batch, in_features]} (its element count
     * must be a multiple of {@code in_features}), the output is {@code [batch, out_features]}.
     *
     * @param weights {@code [out_features, in_features]}
     * @param bias    {@code [out_features]}, or -1 for none
     */
    public int fullyConnected(String name, int input, int weights, int bias, Activation act) {
        String what = "fullyConnected '" + name + "'";
        checkTensor(what + " input", input);
        int[] w = rankN(what, "weights", weights, 2);
        int[] in = graph.tensor(input).shape();
        long n = elements(in);
        if (w[1] == 0 || n % w[1] != 0) {
            throw new IllegalArgumentException(what + ": input " + Arrays.toString(in) + " (" + n
                    + " elements) does not flatten to rows of the weights' " + w[1] + " input features "
                    + Arrays.toString(w));
        }
        checkBias(what, bias, w[0]);
        BuiltinOptions o = BuiltinOptions.of("FullyConnectedOptions")
                .set("fused_activation_function", fused(what, act))
                .set("weights_format", 0)
                .set("keep_num_dims", false);
        return sugar(BuiltinOperator.FULLY_CONNECTED, o, new int[] {input, weights, bias}, name, input,
                Math.toIntExact(n / w[1]), w[0]);
    }

    /**
     * MEAN over {@code axes} (negative counts from the end), the axes given as an INT32
     * constant {@code <name>/axes}.
     */
    public int mean(String name, int input, int[] axes, boolean keepDims) {
        String what = "mean '" + name + "'";
        checkTensor(what + " input", input);
        int[] in = graph.tensor(input).shape();
        boolean[] reduced = new boolean[in.length];
        for (int a : axes) {
            int k = a < 0 ? a + in.length : a;
            if (k < 0 || k >= in.length) {
                throw new IllegalArgumentException(what + ": axis " + a + " out of range for input "
                        + Arrays.toString(in));
            }
            if (reduced[k]) {
                throw new IllegalArgumentException(what + ": axis " + a + " given twice in " + Arrays.toString(axes));
            }
            reduced[k] = true;
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < in.length; i++) {
            if (!reduced[i]) {
                out.add(in[i]);
            } else if (keepDims) {
                out.add(1);
            }
        }
        // Both names are checked before the helper constant goes in, so a failure adds nothing.
        checkNewName(name);
        checkNewName(name + "/axes");
        int axesTensor = constant(name + "/axes", axes.clone(), axes.length);
        BuiltinOptions o = BuiltinOptions.of("ReducerOptions").set("keep_dims", keepDims);
        return sugar(BuiltinOperator.MEAN, o, new int[] {input, axesTensor}, name, input,
                out.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * RESHAPE to {@code newShape}, where one dimension may be -1 (inferred). The resolved shape
     * goes both into {@code new_shape} and, as modern converters write it, into an INT32
     * constant second input {@code <name>/shape}.
     */
    public int reshape(String name, int input, int... newShape) {
        String what = "reshape '" + name + "'";
        checkTensor(what + " input", input);
        int[] in = graph.tensor(input).shape();
        int[] shape = newShape.clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1 && unknown < 0) {
                unknown = i;
            } else if (shape[i] < 0) {
                throw new IllegalArgumentException(what + ": bad shape " + Arrays.toString(newShape)
                        + " (at most one -1, no other negative dimension)");
            } else {
                known *= shape[i];
            }
        }
        long n = elements(in);
        if (unknown >= 0) {
            if (known == 0 || n % known != 0) {
                throw new IllegalArgumentException(what + ": cannot infer the -1 in " + Arrays.toString(newShape)
                        + " for input " + Arrays.toString(in) + " of " + n + " elements");
            }
            shape[unknown] = Math.toIntExact(n / known);
        } else if (known != n) {
            throw new IllegalArgumentException(what + ": shape " + Arrays.toString(newShape) + " holds " + known
                    + " elements but input " + Arrays.toString(in) + " has " + n);
        }
        // Both names are checked before the helper constant goes in, so a failure adds nothing.
        checkNewName(name);
        checkNewName(name + "/shape");
        int shapeTensor = constant(name + "/shape", shape.clone(), shape.length);
        BuiltinOptions o = BuiltinOptions.of("ReshapeOptions").set("new_shape", shape.clone());
        return sugar(BuiltinOperator.RESHAPE, o, new int[] {input, shapeTensor}, name, input, shape);
    }

    /** SOFTMAX over the last axis. */
    public int softmax(String name, int input, float beta) {
        checkTensor("softmax '" + name + "' input", input);
        BuiltinOptions o = BuiltinOptions.of("SoftmaxOptions").set("beta", beta);
        int t = sugar(BuiltinOperator.SOFTMAX, o, new int[] {input}, name, input, graph.tensor(input).shape());
        fixedOutputRange(t, 256);
        return t;
    }

    // ---- element-wise ----

    /** ADD with NumPy-style broadcasting of equal-typed inputs. */
    public int add(String name, int a, int b, Activation act) {
        String what = "add '" + name + "'";
        checkTensor(what + " input", a);
        checkTensor(what + " input", b);
        Tensor ta = graph.tensor(a);
        Tensor tb = graph.tensor(b);
        if (ta.type() != tb.type()) {
            throw new IllegalArgumentException(what + ": inputs differ in type, " + ta + " and " + tb);
        }
        int[] out = broadcast(what, ta.shape(), tb.shape());
        BuiltinOptions o = BuiltinOptions.of("AddOptions").set("fused_activation_function", fused(what, act));
        return sugar(BuiltinOperator.ADD, o, new int[] {a, b}, name, a, out);
    }

    /** RELU. */
    public int relu(String name, int input) {
        return unary(BuiltinOperator.RELU, name, input);
    }

    /** RELU6. */
    public int relu6(String name, int input) {
        return unary(BuiltinOperator.RELU6, name, input);
    }

    /** LOGISTIC (sigmoid). */
    public int logistic(String name, int input) {
        int t = unary(BuiltinOperator.LOGISTIC, name, input);
        fixedOutputRange(t, 256);
        return t;
    }

    /** TANH. */
    public int tanh(String name, int input) {
        int t = unary(BuiltinOperator.TANH, name, input);
        fixedOutputRange(t, 128);
        return t;
    }

    private int unary(BuiltinOperator op, String name, int input) {
        checkTensor(op + " '" + name + "' input", input);
        return sugar(op, null, new int[] {input}, name, input, graph.tensor(input).shape());
    }

    /**
     * CONCATENATION along {@code axis} (negative counts from the end): the inputs must agree in
     * type, rank and every other dimension.
     */
    public int concatenation(String name, int axis, int... inputs) {
        String what = "concatenation '" + name + "'";
        if (inputs.length == 0) {
            throw new IllegalArgumentException(what + ": no inputs");
        }
        for (int in : inputs) {
            checkTensor(what + " input", in);
        }
        Tensor first = graph.tensor(inputs[0]);
        int rank = first.rank();
        int k = axis < 0 ? axis + rank : axis;
        if (k < 0 || k >= rank) {
            throw new IllegalArgumentException(what + ": axis " + axis + " out of range for rank " + rank);
        }
        int[] out = first.shape();
        out[k] = 0;
        for (int in : inputs) {
            Tensor t = graph.tensor(in);
            boolean ok = t.type() == first.type() && t.rank() == rank;
            for (int d = 0; ok && d < rank; d++) {
                ok = d == k || t.dim(d) == first.dim(d);
            }
            if (!ok) {
                throw new IllegalArgumentException(what + ": input " + t + " does not match " + first
                        + " outside axis " + k);
            }
            out[k] += t.dim(k);
        }
        BuiltinOptions o = BuiltinOptions.of("ConcatenationOptions")
                .set("axis", k)
                .set("fused_activation_function", Activation.NONE.code());
        return sugar(BuiltinOperator.CONCATENATION, o, inputs.clone(), name, inputs[0], out);
    }

    /**
     * PAD with zeros (the zero point, when quantized).
     *
     * @param paddings one {@code {before, after}} pair per input dimension, stored as the INT32
     *                 constant {@code <name>/paddings}
     */
    public int pad(String name, int input, int[][] paddings) {
        String what = "pad '" + name + "'";
        checkTensor(what + " input", input);
        int[] in = graph.tensor(input).shape();
        if (paddings.length != in.length) {
            throw new IllegalArgumentException(what + ": " + paddings.length + " padding pairs for input "
                    + Arrays.toString(in) + " of rank " + in.length);
        }
        int[] flat = new int[in.length * 2];
        int[] out = new int[in.length];
        for (int d = 0; d < in.length; d++) {
            if (paddings[d].length != 2 || paddings[d][0] < 0 || paddings[d][1] < 0) {
                throw new IllegalArgumentException(what + ": padding for dimension " + d + " must be two"
                        + " non-negative numbers, got " + Arrays.toString(paddings[d]));
            }
            flat[2 * d] = paddings[d][0];
            flat[2 * d + 1] = paddings[d][1];
            out[d] = in[d] + paddings[d][0] + paddings[d][1];
        }
        // Both names are checked before the helper constant goes in, so a failure adds nothing.
        checkNewName(name);
        checkNewName(name + "/paddings");
        int p = constant(name + "/paddings", flat, in.length, 2);
        return sugar(BuiltinOperator.PAD, null, new int[] {input, p}, name, input, out);
    }

    // ---- build ----

    /**
     * Sets the graph inputs and outputs and returns the validated model. The builder cannot be
     * used afterwards.
     *
     * @throws IllegalStateException when there is no output or the model was already built
     * @throws dev.whittle.ModelFormatException when the model does not validate (a builder bug
     *     or a malformed generic {@link #op})
     */
    public Model build() {
        checkOpen();
        if (outputs.isEmpty()) {
            throw new IllegalStateException("model '" + name + "' has no output; call output(tensor) first");
        }
        graph.setInputs(inputs.stream().mapToInt(Integer::intValue).toArray());
        graph.setOutputs(outputs.stream().mapToInt(Integer::intValue).toArray());
        model.addSubgraph(graph);
        built = true;
        return ModelValidator.validated(model, "ModelBuilder '" + name + "'");
    }

    // ---- internals ----

    /**
     * Adds a shape-inferred operator whose output takes the type (and a copy of the
     * quantization) of {@code like}. All checks have been done by the caller.
     */
    private int sugar(BuiltinOperator op, BuiltinOptions options, int[] ins, String name, int like, int... shape) {
        Tensor src = graph.tensor(like);
        Quantization q = src.quantization() == null ? null : src.quantization().copy();
        return op(op, OPERATOR_VERSION, options, ins, new TensorSpec(name, src.type(), shape, q))[0];
    }

    /**
     * TFLite's quantized SOFTMAX, LOGISTIC and TANH kernels require these fixed output
     * parameters: scale 1/256 for outputs in [0, 1], 1/128 for [-1, 1].
     */
    private void fixedOutputRange(int t, int inverseScale) {
        Tensor out = graph.tensor(t);
        boolean zeroBased = inverseScale == 256;
        long zp = switch (out.type()) {
            case INT8 -> zeroBased ? -128 : 0;
            case UINT8 -> zeroBased ? 0 : 128;
            case INT16 -> 0;
            default -> Long.MIN_VALUE;
        };
        if (zp == Long.MIN_VALUE || !out.isQuantized()) {
            return;
        }
        double scale = out.type() == TensorType.INT16 ? 1.0 / 32768 : 1.0 / inverseScale;
        out.setQuantization(Quantization.perTensor(scale, zp));
    }

    /**
     * Checks a fused activation. TFLite's kernels only clamp (RELU, RELU_N1_TO_1, RELU6) and
     * silently skip a fused TANH, which the converter never writes; refusing it keeps a model
     * from computing something other than it says.
     */
    private static int fused(String what, Activation act) {
        if (act == Activation.TANH) {
            throw new IllegalArgumentException(what + ": TFLite's kernels ignore a fused TANH; add tanh() after the"
                    + " operator instead");
        }
        return act.code();
    }

    /**
     * The zero bias a convolution without one gets, as the converter writes it: TFLite's
     * CONV_2D kernel refuses a missing bias. Float (and hybrid) convolutions get FLOAT32 zeros;
     * quantized ones INT32 zeros (INT64 for INT16 activations) with scale
     * {@code input_scale * weight_scale} per output channel and zero point 0.
     */
    private int zeroBias(String what, String name, int input, int weights, int channels) {
        String biasName = name + "/bias";
        checkNewName(biasName);
        Tensor in = graph.tensor(input);
        Tensor w = graph.tensor(weights);
        if (in.type() == TensorType.FLOAT32) {
            return constant(biasName, new float[channels], channels);
        }
        int nScales = w.isQuantized() ? w.quantization().scaleCount() : 0;
        if (!in.isQuantized() || (nScales != 1 && nScales != channels)) {
            throw new IllegalArgumentException(what + ": a " + in.type() + " convolution without a bias needs a"
                    + " quantized input and weights with 1 or " + channels + " scales to derive the bias scale;"
                    + " pass a bias");
        }
        float inScale = in.quantization().scalarScale();
        float[] ws = w.quantization().scale();
        float[] scales = new float[nScales];
        for (int i = 0; i < nScales; i++) {
            scales[i] = inScale * ws[i];
        }
        Quantization q = nScales == 1 ? Quantization.perTensor(scales[0], 0)
                : Quantization.perAxis(scales, new long[nScales], 0);
        TensorType type = in.type() == TensorType.INT16 ? TensorType.INT64 : TensorType.INT32;
        return constant(biasName, type, q, ByteBuffer.allocate(Math.toIntExact(type.bytesFor(channels))), channels);
    }

    private int addTensor(String name, TensorType type, Quantization q, int[] shape) {
        Tensor t = new Tensor(name, Objects.requireNonNull(type, "type"), shape);
        if (q != null) {
            t.setQuantization(q.copy());
        }
        names.add(name);
        return graph.addTensor(t);
    }

    private void checkOpen() {
        if (built) {
            throw new IllegalStateException("model '" + name + "' was already built; use a new ModelBuilder");
        }
    }

    private void checkNewName(String n) {
        checkOpen();
        if (n == null || n.isEmpty()) {
            throw new IllegalArgumentException("tensor name must be non-empty");
        }
        if (names.contains(n)) {
            throw new IllegalArgumentException("tensor name '" + n + "' is already used");
        }
    }

    private static void checkShape(String name, int[] shape) {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "': negative dimension in "
                        + Arrays.toString(shape));
            }
        }
    }

    private void checkTensor(String what, int t) {
        if (t < 0 || t >= graph.tensorCount()) {
            throw new IllegalArgumentException(what + ": unknown tensor index " + t + " (this builder has "
                    + graph.tensorCount() + " tensors)");
        }
    }

    private int[] rank4(String what, String role, int t) {
        return rankN(what, role, t, 4);
    }

    private int[] rankN(String what, String role, int t, int rank) {
        checkTensor(what + " " + role, t);
        int[] s = graph.tensor(t).shape();
        if (s.length != rank) {
            throw new IllegalArgumentException(what + ": " + role + " " + describe(t) + " must have rank " + rank
                    + ", has rank " + s.length);
        }
        return s;
    }

    private void checkBias(String what, int bias, int channels) {
        if (bias == -1) {
            return;
        }
        int[] b = rankN(what, "bias", bias, 1);
        if (b[0] != channels) {
            throw new IllegalArgumentException(what + ": bias " + describe(bias) + " has " + b[0]
                    + " elements but the operator has " + channels + " output channels");
        }
    }

    private static void checkWindow(String what, int strideH, int strideW, int dilationH, int dilationW) {
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException(what + ": strides must be >= 1, got " + strideH + "x" + strideW);
        }
        if (dilationH < 1 || dilationW < 1) {
            throw new IllegalArgumentException(what + ": dilations must be >= 1, got " + dilationH + "x" + dilationW);
        }
    }

    /**
     * One spatial output size, as TFLite's {@code ComputeOutSize}: SAME gives
     * {@code ceil(in / stride)}, VALID {@code ceil((in - effective_filter + 1) / stride)}
     * with {@code effective_filter = (k - 1) * dilation + 1}.
     */
    private static int outSize(String what, String axis, Padding padding, int in, int k, int stride, int dilation) {
        long effective = (long) (k - 1) * dilation + 1;
        long out = switch (padding) {
            case SAME -> ((long) in + stride - 1) / stride;
            case VALID -> in >= effective ? ((long) in - effective + stride) / stride : 0;
        };
        if (out < 1) {
            throw new IllegalArgumentException(what + ": the " + axis + " window (" + effective
                    + " with dilation) is larger than the input's " + in + " with VALID padding");
        }
        return Math.toIntExact(out);
    }

    private static int[] broadcast(String what, int[] a, int[] b) {
        int rank = Math.max(a.length, b.length);
        int[] out = new int[rank];
        for (int i = 0; i < rank; i++) {
            int da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            int db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException(what + ": shapes " + Arrays.toString(a) + " and "
                        + Arrays.toString(b) + " do not broadcast");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    private String describe(int t) {
        return "'" + graph.tensor(t).name() + "' " + Arrays.toString(graph.tensor(t).shape());
    }

    private static long elements(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    private static ByteBuffer little(long bytes) {
        return ByteBuffer.allocate(Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }
}
