package dev.whittle.runtime.kernels.reference;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;

/**
 * int16 LOGISTIC and TANH as TFLite 2.20's {@code reference_integer_ops::Logistic/Tanh} compute
 * them for a general (not power-of-two) input scale: the input is rescaled by
 * {@code (x * multiplier + round) >> shift} (multiplier and shift from prepare, see
 * {@code dev.whittle.runtime.ops.LutActivation}) so that 2^12 stands for 1/3 of a unit, then
 * read from a 256-entry table of sigmoid on a grid of 1/24 with linear interpolation; tanh
 * reads the same table at twice the resolution ({@code tanh(x) = 2 sigmoid(2x) - 1}).
 */
public final class Int16Activations {
    private Int16Activations() {
    }

    /**
     * TFLite's {@code sigmoid_table_uint16} ({@code kernels/internal/common.h}, Apache 2.0):
     * sigmoid(i / 24) in Q0.16 for i = 0..255. The values are data, not a formula: about 40
     * entries are one above the rounded sigmoid (tuned for the interpolation), and the last is
     * clamped to 65535; a table computed from the formula would differ in those.
     */
    private static final int[] SIGMOID_TABLE = {
        32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
        40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
        47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
        53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
        57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
        60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
        62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
        63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
        64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
        64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
        65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
        65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
        65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
        65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
        65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
        65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
        65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
        65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
        65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
        65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
        65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
        65534, 65534, 65534, 65535,
    };

    /** The input rescale both functions share: {@code (x * multiplier + round) >> shift}. */
    private static int rescale(int x, int multiplier, int shift) {
        int round = shift > 0 ? 1 << (shift - 1) : 0;
        return (x * multiplier + round) >> shift;
    }

    /** One int16 logistic value in Q0.15. */
    public static short logistic(short x, int multiplier, int shift) {
        int v = rescale(x, multiplier, shift);
        int abs = Math.abs(v);
        int uh = abs >>> 9;
        int result;
        if (uh >= 255) {
            result = 0x7FFF << 10;
        } else {
            int ua = SIGMOID_TABLE[uh];
            int ub = SIGMOID_TABLE[uh + 1];
            result = (ua << 9) + (abs & 0x1FF) * (ub - ua);
        }
        result = v >= 0 ? result + (1 << 9) : (1 << 25) - result + (1 << 9) - 1;
        return (short) (result >>> 10);
    }

    /** One int16 tanh value in Q0.15. */
    public static short tanh(short x, int multiplier, int shift) {
        int v = rescale(x, multiplier, shift);
        int abs = Math.abs(v);
        int uh = abs >>> 8;
        int result;
        if (uh >= 255) {
            result = 0xFFFF << 8;
        } else {
            int ua = SIGMOID_TABLE[uh];
            int ub = SIGMOID_TABLE[uh + 1];
            result = (ua << 8) + (abs & 0xFF) * (ub - ua);
        }
        result = v >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
        return (short) (result >> 8);
    }

    /** {@code qs16_logistic__reference}: multiplier and shift from {@link UnaryParams}. */
    public static final Kernel<UnaryParams> QS16_LOGISTIC = new Kernel<>() {
        @Override
        public String name() {
            return "qs16_logistic__reference";
        }

        @Override
        public void run(UnaryParams p, ExecutionState s) {
            for (int i = 0; i < p.count(); i++) {
                s.putShort(p.output(), i, logistic(s.getShort(p.input(), i), p.multiplier(), p.shift()));
            }
        }
    };

    /** {@code qs16_tanh__reference}: multiplier and shift from {@link UnaryParams}. */
    public static final Kernel<UnaryParams> QS16_TANH = new Kernel<>() {
        @Override
        public String name() {
            return "qs16_tanh__reference";
        }

        @Override
        public void run(UnaryParams p, ExecutionState s) {
            for (int i = 0; i < p.count(); i++) {
                s.putShort(p.output(), i, tanh(s.getShort(p.input(), i), p.multiplier(), p.shift()));
            }
        }
    };
}
