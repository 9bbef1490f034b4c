package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.reference.UnaryParams;
import dev.whittle.runtime.quant.FixedPoint;
import java.lang.foreign.MemorySegment;

/**
 * Java kernels of the one-input ops on 8-bit inputs ({@link ElementwiseFamilies#QUANTIZED_UNARY}):
 * an 8-bit input has 256 values, so prepare runs the reference arithmetic on each into a table
 * and a node is one table load per element. Requantization ({@code qu8_qu8_requantize_lut__java},
 * ...), the LOGISTIC/TANH tables ({@code qs8_logistic_lut__java}, ...) and DEQUANTIZE
 * ({@code qu8_f32_dequantize_lut__java}).
 */
public final class UnaryLutKernels {
    private UnaryLutKernels() {
    }

    /** {@code p} with the fastest allowed kernel of the family that accepts it (its reference kernel else). */
    public static UnaryParams fastest(UnaryParams p) {
        Kernel<UnaryParams> k = KernelRegistry.fastestOr(ElementwiseFamilies.QUANTIZED_UNARY, f -> f.create(p),
                p.kernel());
        return k == p.kernel() ? p : new UnaryParams(k, p.input(), p.output(), p.count(), p.inType(), p.outType(),
                p.inZeroPoint(), p.outZeroPoint(), p.scale(), p.multiplier(), p.shift(), p.table());
    }

    private static boolean is8(TensorType t) {
        return t == TensorType.INT8 || t == TensorType.UINT8;
    }

    /** The family's Java factory. */
    public static Kernel<UnaryParams> create(UnaryParams p) {
        if (!is8(p.inType()) || p.count() <= 0) {
            return null;
        }
        boolean signed = p.inType() == TensorType.INT8;
        String ref = p.kernel().name();
        if (!ref.endsWith("__reference")) {
            return null;
        }
        String base = ref.substring(0, ref.length() - "__reference".length());
        if (ref.endsWith("_requantize__reference")) {
            if (!is8(p.outType()) || p.shift() > 30 || p.shift() < -31) {
                return null;
            }
            int lo = p.outType() == TensorType.INT8 ? -128 : 0;
            int hi = lo + 255;
            byte[] t = new byte[256];
            for (int r = 0; r < 256; r++) {
                int v = signed ? (byte) r : r;
                int q = FixedPoint.multiplyByQuantizedMultiplier(v - p.inZeroPoint(), p.multiplier(), p.shift())
                        + p.outZeroPoint();
                t[r] = (byte) FixedPoint.clamp(q, lo, hi);
            }
            return new Bytes(base + "_lut__java", p.count(), t);
        }
        if (ref.endsWith("_f32_dequantize__reference")) {
            if (p.outType() != TensorType.FLOAT32) {
                return null;
            }
            float[] t = new float[256];
            for (int r = 0; r < 256; r++) {
                int v = signed ? (byte) r : r;
                t[r] = (float) (p.scale() * (v - p.inZeroPoint()));
            }
            return new Floats(base + "_lut__java", p.count(), t);
        }
        // UnaryKernels.lookup: table indexed by value - min(type), written as the output type.
        if (p.table() != null && p.table().length == 256 && p.outType() == p.inType()
                && !ref.endsWith("quantize__reference")) {
            int lo = signed ? -128 : 0;
            byte[] t = new byte[256];
            for (int r = 0; r < 256; r++) {
                int v = signed ? (byte) r : r;
                t[r] = (byte) p.table()[v - lo];
            }
            return new Bytes(base + "_lut__java", p.count(), t);
        }
        return null;
    }

    private abstract static class Lut implements Kernel<UnaryParams>, ParallelTask<UnaryParams> {
        private final String name;
        final int count;

        Lut(String name, int count) {
            this.name = name;
            this.count = count;
        }

        @Override
        public final String name() {
            return name;
        }

        @Override
        public String toString() {
            return name;
        }

        @Override
        public final void run(UnaryParams p, ExecutionState s) {
            int tasks = Tasks.count(count, s.threads());
            if (tasks <= 1) {
                range(p, s, 0, count);
            } else {
                s.parallelFor(tasks, this, p);
            }
        }

        @Override
        public final void run(UnaryParams p, ExecutionState s, int task, int worker) {
            int tasks = Tasks.count(count, s.threads());
            range(p, s, Tasks.start(count, task, tasks), Tasks.start(count, task + 1, tasks));
        }

        abstract void range(UnaryParams p, ExecutionState s, int from, int to);
    }

    /** 8-bit to 8-bit. */
    private static final class Bytes extends Lut {
        private final byte[] table;

        Bytes(String name, int count, byte[] table) {
            super(name, count);
            this.table = table;
        }

        @Override
        void range(UnaryParams p, ExecutionState s, int from, int to) {
            MemorySegment in = Mem.of(s, p.input(), count);
            MemorySegment out = Mem.of(s, p.output(), count);
            byte[] t = table;
            for (int i = from; i < to; i++) {
                out.set(Mem.I8, i, t[in.get(Mem.I8, i) & 0xFF]);
            }
        }
    }

    /** 8-bit to float32. */
    private static final class Floats extends Lut {
        private final float[] table;

        Floats(String name, int count, float[] table) {
            super(name, count);
            this.table = table;
        }

        @Override
        void range(UnaryParams p, ExecutionState s, int from, int to) {
            MemorySegment in = Mem.of(s, p.input(), count);
            MemorySegment out = Mem.of(s, p.output(), 4L * count);
            float[] t = table;
            for (int i = from; i < to; i++) {
                out.set(Mem.F32, 4L * i, t[in.get(Mem.I8, i) & 0xFF]);
            }
        }
    }
}
