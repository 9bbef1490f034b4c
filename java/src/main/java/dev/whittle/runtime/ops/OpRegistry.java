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
        m.put(BuiltinOperator.AVERAGE_POOL_2D, new AveragePool2D());
        m.put(BuiltinOperator.CONCATENATION, new Concatenation());
        m.put(BuiltinOperator.CONV_2D, new Conv2D());
        m.put(BuiltinOperator.DEPTHWISE_CONV_2D, new DepthwiseConv2D());
        m.put(BuiltinOperator.DEQUANTIZE, new Dequantize());
        m.put(BuiltinOperator.FLOOR_DIV, new FloorDiv());
        m.put(BuiltinOperator.FLOOR_MOD, new FloorMod());
        m.put(BuiltinOperator.FULLY_CONNECTED, new FullyConnected());
        m.put(BuiltinOperator.LOGISTIC, new Logistic());
        m.put(BuiltinOperator.MAX_POOL_2D, new MaxPool2D());
        m.put(BuiltinOperator.MEAN, new Mean());
        m.put(BuiltinOperator.MUL, new Mul());
        m.put(BuiltinOperator.PAD, new Pad());
        m.put(BuiltinOperator.QUANTIZE, new Quantize());
        m.put(BuiltinOperator.RELU, new Relu());
        m.put(BuiltinOperator.RELU6, new Relu6());
        m.put(BuiltinOperator.RESHAPE, new Reshape());
        m.put(BuiltinOperator.SOFTMAX, new Softmax());
        m.put(BuiltinOperator.SQUEEZE, new Squeeze());
        m.put(BuiltinOperator.SUB, new Sub());
        m.put(BuiltinOperator.TANH, new Tanh());
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
