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
        m.put(BuiltinOperator.CONV_2D, new Conv2D());
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
