package dev.whittle.runtime.kernels.reference;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.quant.FixedPoint;

/**
 * The arithmetic of the binary element-wise operators, one constant per data type and
 * operator. Each loops over the broadcast output and reads both inputs through their strides.
 *
 * <p>Sources (TFLite 2.20): {@code reference/add.h} ({@code AddElementwise},
 * {@code AddGeneralParamScale}, the int16 power-of-two {@code Add}), {@code reference/sub.h}
 * ({@code SubElementwise}, {@code Sub16}), {@code reference/integer_ops/mul.h}
 * ({@code MulElementwise}), {@code reference/binary_function.h} with {@code floor_div.cc} and
 * {@code floor_mod.cc}.
 */
enum BinaryArithmetic {
    F32_ADD() {
        @Override
        float f32(float x, float y) {
            return x + y;
        }
    },
    F32_SUB() {
        @Override
        float f32(float x, float y) {
            return x - y;
        }
    },
    F32_MUL() {
        @Override
        float f32(float x, float y) {
            return x * y;
        }
    },
    /** {@code std::floor(double(x) / double(y))} narrowed to float; no fused activation. */
    F32_FLOOR_DIV() {
        @Override
        float f32(float x, float y) {
            return (float) Math.floor((double) x / (double) y);
        }

        @Override
        boolean activation() {
            return false;
        }
    },
    /** {@code fmod} in float, then the divisor added when the signs of remainder and divisor differ. */
    F32_FLOOR_MOD() {
        @Override
        float f32(float x, float y) {
            float r = x % y; // Java's float remainder is C's fmod
            return r != 0 && ((y < 0) != (r < 0)) ? r + y : r;
        }

        @Override
        boolean activation() {
            return false;
        }
    },
    S32_ADD() {
        @Override
        long s64(long x, long y) {
            return (int) (x + y); // wraps as the int32 C++ arithmetic does in practice
        }
    },
    S32_SUB() {
        @Override
        long s64(long x, long y) {
            return (int) (x - y);
        }
    },
    S32_MUL() {
        @Override
        long s64(long x, long y) {
            return (int) (x * y);
        }
    },
    /** {@code std::floor(double(x) / double(y))} converted back to int32. */
    S32_FLOOR_DIV() {
        @Override
        long s64(long x, long y) {
            return (int) Math.floor((double) x / (double) y);
        }

        @Override
        boolean activation() {
            return false;
        }
    },
    /** C++'s truncating {@code %}, then the divisor added when the signs of remainder and divisor differ. */
    S32_FLOOR_MOD() {
        @Override
        long s64(long x, long y) {
            int r = (int) x % (int) y;
            return r != 0 && ((y < 0) != (r < 0)) ? r + (int) y : r;
        }

        @Override
        boolean activation() {
            return false;
        }
    },
    S64_ADD() {
        @Override
        long s64(long x, long y) {
            return x + y;
        }
    },
    S64_SUB() {
        @Override
        long s64(long x, long y) {
            return x - y;
        }
    },
    S64_MUL() {
        @Override
        long s64(long x, long y) {
            return x * y;
        }
    },
    QS8_ADD(TensorType.INT8) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return addSub(q, x, y, false);
        }
    },
    QU8_ADD(TensorType.UINT8) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return addSub(q, x, y, false);
        }
    },
    /** int16 ADD with general scales ({@code AddGeneralParamScale}, left shift 15). */
    QS16_ADD(TensorType.INT16) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return addSub(q, x, y, false);
        }
    },
    /**
     * int16 ADD with power-of-two scales and zero points 0 (the LSTM path): the input whose
     * scale differs from the output's is divided by a power of two with rounding, then both are
     * added with int16 saturation.
     */
    QS16_ADD_POT(TensorType.INT16) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            int sx = FixedPoint.roundingDivideByPOT(x, -q.aShift());
            int sy = FixedPoint.roundingDivideByPOT(y, -q.bShift());
            return FixedPoint.clamp(sx + sy, Short.MIN_VALUE, Short.MAX_VALUE);
        }
    },
    QS8_SUB(TensorType.INT8) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return addSub(q, x, y, true);
        }
    },
    QU8_SUB(TensorType.UINT8) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return addSub(q, x, y, true);
        }
    },
    QS16_SUB(TensorType.INT16) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return addSub(q, x, y, true);
        }
    },
    /** int16 SUB with power-of-two scales ({@code Sub16}): rescale one input, saturating int16 difference. */
    QS16_SUB_POT(TensorType.INT16) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            int sx = FixedPoint.roundingDivideByPOT(x, -q.aShift());
            int sy = FixedPoint.roundingDivideByPOT(y, -q.bShift());
            return FixedPoint.clamp(sx - sy, Short.MIN_VALUE, Short.MAX_VALUE);
        }
    },
    QS8_MUL(TensorType.INT8) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return mul(q, x, y);
        }
    },
    QU8_MUL(TensorType.UINT8) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return mul(q, x, y);
        }
    },
    QS16_MUL(TensorType.INT16) {
        @Override
        int quantized(BinaryParams.Quant q, int x, int y) {
            return mul(q, x, y);
        }
    };

    private final TensorType quantizedType;

    BinaryArithmetic() {
        this(null);
    }

    BinaryArithmetic(TensorType quantizedType) {
        this.quantizedType = quantizedType;
    }

    /** The kernel name: the constant's name in lower case, e.g. {@code qs8_add__reference}. */
    String kernelName() {
        return name().toLowerCase(java.util.Locale.ROOT) + "__reference";
    }

    float f32(float x, float y) {
        throw new UnsupportedOperationException(kernelName());
    }

    long s64(long x, long y) {
        throw new UnsupportedOperationException(kernelName());
    }

    int quantized(BinaryParams.Quant q, int x, int y) {
        throw new UnsupportedOperationException(kernelName());
    }

    /** Whether the fused activation clamp applies (FLOOR_DIV and FLOOR_MOD have none). */
    boolean activation() {
        return true;
    }

    /**
     * {@code AddElementwise}/{@code SubElementwise}: both inputs shifted left by
     * {@code leftShift}, each rescaled to twice the larger input scale, added or subtracted in
     * int32, rescaled to the output scale, offset and clamped.
     */
    static int addSub(BinaryParams.Quant q, int x, int y, boolean subtract) {
        int sx = (x + q.aOffset()) * (1 << q.leftShift());
        int sy = (y + q.bOffset()) * (1 << q.leftShift());
        int scaledX = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(sx, q.aMultiplier(), q.aShift());
        int scaledY = FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(sy, q.bMultiplier(), q.bShift());
        int raw = subtract ? scaledX - scaledY : scaledX + scaledY;
        return FixedPoint.multiplyByQuantizedMultiplierSmallerThanOneExp(raw, q.outMultiplier(), q.outShift())
                + q.outOffset();
    }

    /** {@code MulElementwise}: the int32 product of the offset inputs, rescaled once, offset. */
    static int mul(BinaryParams.Quant q, int x, int y) {
        int product = (x + q.aOffset()) * (y + q.bOffset());
        return q.outOffset() + FixedPoint.multiplyByQuantizedMultiplier(product, q.outMultiplier(), q.outShift());
    }

    void run(BinaryParams p, ExecutionState s) {
        int a = p.a();
        int b = p.b();
        int o = p.output();
        boolean act = activation();
        if (quantizedType != null) {
            for (int i = 0; i < p.count(); i++) {
                int v = quantized(p.quant(), Elements.getInt(s, quantizedType, a, p.indexA(i)),
                        Elements.getInt(s, quantizedType, b, p.indexB(i)));
                Elements.put(s, quantizedType, o, i, (int) Math.max(p.intMin(), Math.min(p.intMax(), v)));
            }
            return;
        }
        switch (this) {
            case F32_ADD, F32_SUB, F32_MUL, F32_FLOOR_DIV, F32_FLOOR_MOD -> {
                for (int i = 0; i < p.count(); i++) {
                    float v = f32(s.getFloat(a, p.indexA(i)), s.getFloat(b, p.indexB(i)));
                    if (act) {
                        // TFLite's ActivationFunctionWithMinMax: max first, then min.
                        v = Math.min(Math.max(v, p.floatMin()), p.floatMax());
                    }
                    s.putFloat(o, i, v);
                }
            }
            case S32_ADD, S32_SUB, S32_MUL, S32_FLOOR_DIV, S32_FLOOR_MOD -> {
                for (int i = 0; i < p.count(); i++) {
                    long v = s64(s.getInt(a, p.indexA(i)), s.getInt(b, p.indexB(i)));
                    if (act) {
                        v = Math.min(Math.max(v, p.intMin()), p.intMax());
                    }
                    s.putInt(o, i, (int) v);
                }
            }
            default -> {
                for (int i = 0; i < p.count(); i++) {
                    long v = s64(s.getLong(a, p.indexA(i)), s.getLong(b, p.indexB(i)));
                    if (act) {
                        v = Math.min(Math.max(v, p.intMin()), p.intMax());
                    }
                    s.putLong(o, i, v);
                }
            }
        }
    }
}
