package dev.whittle.runtime.ops;

import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.quant.QuantizedMultiplier;

/** Prepare-time helpers shared by the quantized activation ops. */
final class QuantizedActivations {
    private QuantizedActivations() {
    }

    /**
     * TFLite's {@code QuantizeMultiplier} of a real multiplier, refused where the result could
     * not run as TFLite runs it: not finite, or a left shift over 30 (where the C++ shift of
     * the input overflows int32).
     */
    static QuantizedMultiplier multiplier(PrepareContext ctx, double real, String what) {
        if (Double.isNaN(real) || Double.isInfinite(real)) {
            throw ctx.unsupported("the " + what + " " + real + " is not finite");
        }
        QuantizedMultiplier m = QuantizedMultiplier.of(real);
        if (m.shift() > 30) {
            throw ctx.unsupported("the " + what + " " + real + " is too large (shift " + m.shift() + ")");
        }
        return m;
    }
}
