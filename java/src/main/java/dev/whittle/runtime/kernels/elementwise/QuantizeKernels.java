package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.internal.vectorization.QuantizeLoops;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.NativeKernels;
import dev.whittle.runtime.kernels.reference.UnaryParams;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * QUANTIZE float32 to int8/uint8/int16 ({@link ElementwiseFamilies#QUANTIZED_UNARY}), bit-exact
 * with {@code UnaryKernels.quantize}: {@code clamp((int) std::round((double) x / scale) + zp)},
 * the double division itself (not a product with 1/scale), Java's int cast and wrapping int
 * addition. {@code f32_qs16_quantize__java} (Vector API loop {@link QuantizeLoops}, plain twin
 * without the module), {@code f32_qs16_quantize__avx2} and {@code __avx512vnni} (native,
 * kernels/f32_q_quantize_*); {@code qs8}/{@code qu8} the same. Large nodes split over threads in
 * contiguous ranges: each element's result depends on that element alone.
 */
public final class QuantizeKernels {
    private QuantizeKernels() {
    }

    private static String prefix(TensorType t) {
        return switch (t) {
            case INT8 -> "qs8";
            case UINT8 -> "qu8";
            case INT16 -> "qs16";
            default -> null;
        };
    }

    private static String accepts(UnaryParams p) {
        if (p.inType() != TensorType.FLOAT32 || p.count() <= 0) {
            return null;
        }
        String out = prefix(p.outType());
        if (out == null || !p.kernel().name().equals("f32_" + out + "_quantize__reference")) {
            return null;
        }
        return "f32_" + out + "_quantize";
    }

    /** The Java factory. */
    public static Kernel<UnaryParams> create(UnaryParams p) {
        String base = accepts(p);
        return base == null ? null : new Java(base + "__java", p);
    }

    /** The AVX2 factory. */
    public static Kernel<UnaryParams> createAvx2(UnaryParams p) {
        String base = accepts(p);
        return base == null ? null : new Native(base + "__avx2", p);
    }

    /** The AVX-512 factory (AVX-512 F/BW/VL only; listed under the VNNI path). */
    public static Kernel<UnaryParams> createAvx512(UnaryParams p) {
        String base = accepts(p);
        return base == null ? null : new Native(base + "__avx512vnni", p);
    }

    private abstract static class Ranged implements Kernel<UnaryParams>, ParallelTask<UnaryParams> {
        private final String name;
        final int count;
        final int outBytes;
        final int lo;
        final int hi;

        Ranged(String name, UnaryParams p) {
            this.name = name;
            this.count = p.count();
            this.outBytes = p.outType() == TensorType.INT16 ? 2 : 1;
            this.lo = switch (p.outType()) {
                case INT8 -> -128;
                case UINT8 -> 0;
                default -> -32768;
            };
            this.hi = switch (p.outType()) {
                case INT8 -> 127;
                case UINT8 -> 255;
                default -> 32767;
            };
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

        final void java(UnaryParams p, ExecutionState s, int from, int to) {
            MemorySegment in = Mem.of(s, p.input(), 4L * count);
            MemorySegment out = Mem.of(s, p.output(), (long) outBytes * count);
            QuantizeLoops.get().quantize(in, out, from, to, p.scale(), p.outZeroPoint(), lo, hi, outBytes);
        }

        abstract void range(UnaryParams p, ExecutionState s, int from, int to);
    }

    /** {@code f32_*_quantize__java}. */
    private static final class Java extends Ranged {
        Java(String name, UnaryParams p) {
            super(name, p);
        }

        @Override
        void range(UnaryParams p, ExecutionState s, int from, int to) {
            java(p, s, from, to);
        }
    }

    /** {@code f32_*_quantize__avx2}, {@code __avx512vnni}: one native call per task. */
    private static final class Native extends Ranged {
        private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_DOUBLE,
                ValueLayout.JAVA_INT);
        private final MethodHandle call;

        Native(String name, UnaryParams p) {
            super(name, p);
            this.call = NativeKernels.handle("whittle_" + name, SIGNATURE);
        }

        @Override
        void range(UnaryParams p, ExecutionState s, int from, int to) {
            long in = s.address(p.input());
            long out = s.address(p.output());
            if (in == 0 || out == 0) {
                // constants or compile-time folding: not in native memory
                java(p, s, from, to);
                return;
            }
            try {
                call.invokeExact(in, out, (long) from, (long) to, p.scale(), p.outZeroPoint());
            } catch (Throwable t) {
                throw new IllegalStateException(name() + " failed", t);
            }
        }
    }
}
