package dev.whittle.runtime.ops;

import dev.whittle.model.Quantization;
import dev.whittle.model.Tensor;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/** Checks shared by the layout and shape operators (RESHAPE, TRANSPOSE, STRIDED_SLICE, ...). */
final class LayoutSupport {
    private LayoutSupport() {
    }

    /**
     * Requires input 0 to be one of {@code allowed} (TFLite's list for the operator) and every
     * output to have its type; returns the element width the kernel moves.
     */
    static ElementWidth width(PrepareContext ctx, Set<TensorType> allowed) {
        TensorType t = ctx.inputTensor(0).type();
        if (!allowed.contains(t)) {
            throw ctx.unsupported("input type " + t + " is not one TFLite's kernel takes (" + allowed + ")");
        }
        for (int o = 0; o < ctx.outputCount(); o++) {
            if (ctx.outputTensor(o).type() != t) {
                throw ctx.unsupported("output " + o + " must have the input's type " + t);
            }
        }
        ElementWidth w = ElementWidth.of(t);
        if (w == null) {
            throw ctx.unsupported("type " + t + " has no 1, 2, 4 or 8 byte element");
        }
        return w;
    }

    /** Every fixed-size type of 8, 16, 32 or 64 bits (RESHAPE, SQUEEZE, EXPAND_DIMS copy bytes). */
    static final Set<TensorType> ANY_FIXED = EnumSet.of(TensorType.FLOAT32, TensorType.FLOAT16, TensorType.BFLOAT16,
            TensorType.FLOAT64, TensorType.INT8, TensorType.UINT8, TensorType.BOOL, TensorType.INT16,
            TensorType.UINT16, TensorType.INT32, TensorType.UINT32, TensorType.INT64, TensorType.UINT64,
            TensorType.COMPLEX64);

    /**
     * TFLite's legacy per-tensor parameters {@code (scale, zero_point)}, which its kernels
     * compare: those of a single-scale quantization, else {@code (0, 0)}.
     */
    private static double[] legacy(Tensor t) {
        Quantization q = t.quantization();
        if (q == null || !q.isAffine() || q.scaleCount() != 1) {
            return new double[] {0, 0};
        }
        return new double[] {q.scalarScale(), q.scalarZeroPoint()};
    }

    /** Requires output {@code o} to carry input {@code i}'s scale and zero point, as TFLite's prepare does. */
    static void requireSameQuantization(PrepareContext ctx, int i, int o) {
        double[] a = legacy(ctx.inputTensor(i));
        double[] b = legacy(ctx.outputTensor(o));
        if (!Arrays.equals(a, b)) {
            throw ctx.unsupported("input " + i + " (scale " + a[0] + ", zero point " + (long) a[1] + ") and output "
                    + o + " (scale " + b[0] + ", zero point " + (long) b[1] + ") must share quantization: the"
                    + " operator moves values without rescaling");
        }
    }

    /** The legacy zero point of output {@code o} (0 when not quantized). */
    static long outputZeroPoint(PrepareContext ctx, int o) {
        return (long) legacy(ctx.outputTensor(o))[1];
    }

    static long inputZeroPoint(PrepareContext ctx, int i) {
        return (long) legacy(ctx.inputTensor(i))[1];
    }

    /** The values of input {@code i}, which must be an INT32 tensor known at compile time. */
    static int[] knownInt32(PrepareContext ctx, int i, String what) {
        Tensor t = ctx.inputTensor(i);
        if (t.type() != TensorType.INT32) {
            throw ctx.unsupported(what + " (input " + i + ") must be INT32, is " + t.type());
        }
        return known(ctx, i, what);
    }

    /** The values of input {@code i}, an INT32 or INT64 tensor known at compile time. */
    static int[] known(PrepareContext ctx, int i, String what) {
        Tensor t = ctx.inputTensor(i);
        if (t.type() != TensorType.INT32 && t.type() != TensorType.INT64) {
            throw ctx.unsupported(what + " (input " + i + ") must be INT32 or INT64, is " + t.type());
        }
        if (!ctx.isConstant(i)) {
            throw ctx.unsupported(what + " (input " + i + ", '" + t.name() + "') must be a constant or computed at"
                    + " compile time; Whittle's runtime plans every shape when it compiles");
        }
        ByteBuffer b = ctx.constantData(i);
        int n = Math.toIntExact(t.elementCount());
        int[] r = new int[n];
        for (int k = 0; k < n; k++) {
            long v = t.type() == TensorType.INT32 ? b.getInt(k * 4) : b.getLong(k * 8);
            if (v != (int) v) {
                throw ctx.unsupported(what + " value " + v + " does not fit in 32 bits");
            }
            r[k] = (int) v;
        }
        return r;
    }

    static int[] requireRankAtMost(PrepareContext ctx, int i, int max) {
        int[] s = ctx.inputShape(i);
        if (s.length > max) {
            throw ctx.unsupported("input " + i + " has rank " + s.length + "; TFLite's kernel takes at most " + max);
        }
        return s;
    }
}
