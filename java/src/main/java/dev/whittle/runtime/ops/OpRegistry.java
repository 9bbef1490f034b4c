package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOperator;
import dev.whittle.runtime.Op;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The one list of operator implementations that {@link dev.whittle.runtime.CompiledModel}
 * dispatches on; adding an op is one line here plus its class. Implementations are stateless,
 * so one instance of each serves every model.
 */
public final class OpRegistry {
    private static final Map<BuiltinOperator, Op<?>> OPS;

    static {
        Map<BuiltinOperator, Op<?>> m = new EnumMap<>(BuiltinOperator.class);
        m.put(BuiltinOperator.ADD, new Add());
        m.put(BuiltinOperator.ARG_MAX, new ArgMinMax(true));
        m.put(BuiltinOperator.ARG_MIN, new ArgMinMax(false));
        m.put(BuiltinOperator.AVERAGE_POOL_2D, new AveragePool2D());
        m.put(BuiltinOperator.BATCH_TO_SPACE_ND, new BatchToSpaceNd());
        m.put(BuiltinOperator.CONCATENATION, new Concatenation());
        m.put(BuiltinOperator.CONV_2D, new Conv2D());
        m.put(BuiltinOperator.DEPTHWISE_CONV_2D, new DepthwiseConv2D());
        m.put(BuiltinOperator.DEPTH_TO_SPACE, new DepthToSpace());
        m.put(BuiltinOperator.DEQUANTIZE, new Dequantize());
        m.put(BuiltinOperator.EXPAND_DIMS, new ExpandDims());
        m.put(BuiltinOperator.FLOOR_DIV, new FloorDiv());
        m.put(BuiltinOperator.FLOOR_MOD, new FloorMod());
        m.put(BuiltinOperator.FULLY_CONNECTED, new FullyConnected());
        m.put(BuiltinOperator.GATHER, new Gather());
        m.put(BuiltinOperator.HARD_SWISH, new HardSwish());
        m.put(BuiltinOperator.LEAKY_RELU, new LeakyRelu());
        m.put(BuiltinOperator.LOGISTIC, new Logistic());
        m.put(BuiltinOperator.MAX_POOL_2D, new MaxPool2D());
        m.put(BuiltinOperator.MEAN, new Mean());
        m.put(BuiltinOperator.MUL, new Mul());
        m.put(BuiltinOperator.PACK, new Pack());
        m.put(BuiltinOperator.PAD, new Pad());
        m.put(BuiltinOperator.PADV2, new Pad());
        m.put(BuiltinOperator.PRELU, new Prelu());
        m.put(BuiltinOperator.QUANTIZE, new Quantize());
        m.put(BuiltinOperator.RELU, new Relu());
        m.put(BuiltinOperator.RELU6, new Relu6());
        m.put(BuiltinOperator.RELU_0_TO_1, new Relu0To1());
        m.put(BuiltinOperator.RELU_N1_TO_1, new ReluN1To1());
        m.put(BuiltinOperator.RESHAPE, new Reshape());
        m.put(BuiltinOperator.RESIZE_BILINEAR, new ResizeBilinear());
        m.put(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR, new ResizeNearestNeighbor());
        m.put(BuiltinOperator.SHAPE, new Shape());
        m.put(BuiltinOperator.SLICE, new Slice());
        m.put(BuiltinOperator.SOFTMAX, new Softmax());
        m.put(BuiltinOperator.SPACE_TO_BATCH_ND, new SpaceToBatchNd());
        m.put(BuiltinOperator.SPACE_TO_DEPTH, new SpaceToDepth());
        m.put(BuiltinOperator.SQUEEZE, new Squeeze());
        m.put(BuiltinOperator.STRIDED_SLICE, new StridedSlice());
        m.put(BuiltinOperator.SUB, new Sub());
        m.put(BuiltinOperator.SUM, new Sum());
        m.put(BuiltinOperator.TANH, new Tanh());
        m.put(BuiltinOperator.TRANSPOSE, new Transpose());
        m.put(BuiltinOperator.TRANSPOSE_CONV, new TransposeConv());
        m.put(BuiltinOperator.UNPACK, new Unpack());
        OPS = Collections.unmodifiableMap(m);
    }

    private OpRegistry() {
    }

    /** The implementation of {@code op}, or null when the runtime has none. */
    public static Op<?> lookup(BuiltinOperator op) {
        return OPS.get(op);
    }

    /** Every registered operator and its implementation. */
    public static Map<BuiltinOperator, Op<?>> all() {
        return OPS;
    }
}
