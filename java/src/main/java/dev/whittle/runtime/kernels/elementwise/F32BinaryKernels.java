package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.BinaryKernels;
import dev.whittle.runtime.kernels.reference.BinaryParams;
import java.lang.foreign.MemorySegment;

/**
 * Java float32 ADD, SUB and MUL ({@link ElementwiseFamilies#F32_BINARY}): the reference's one
 * IEEE operation and activation clamp (max first, then min) per element, on contiguous runs of
 * the collapsed broadcast ({@code f32_add__java}, {@code f32_sub__java}, {@code f32_mul__java}).
 */
public final class F32BinaryKernels {
    private F32BinaryKernels() {
    }

    /** The family's Java factory. */
    public static Kernel<BinaryParams> create(BinaryParams p) {
        int op;
        if (p.kernel() == BinaryKernels.F32_ADD) {
            op = 0;
        } else if (p.kernel() == BinaryKernels.F32_SUB) {
            op = 1;
        } else if (p.kernel() == BinaryKernels.F32_MUL) {
            op = 2;
        } else {
            return null;
        }
        if (p.count() == 0) {
            return null;
        }
        BroadcastPlan plan = BroadcastPlan.of(p.outShape(), p.aStrides(), p.bStrides());
        if (plan == null || plan.count() != p.count()) {
            return null;
        }
        String name = p.kernel().name().replace("__reference", "__java");
        return new F32(name, plan, op);
    }

    private static final class F32 extends BinaryRunKernel {
        private final int op;

        F32(String name, BroadcastPlan plan, int op) {
            super(name, plan, 4);
            this.op = op;
        }

        @Override
        void row(BinaryParams p, MemorySegment a, long aOff, int ai, MemorySegment b, long bOff, int bi,
                MemorySegment o, long oOff, int oi, int len) {
            long sa = 4L * plan.a2();
            long sb = 4L * plan.b2();
            long ap = aOff + 4L * ai;
            long bp = bOff + 4L * bi;
            long op4 = oOff + 4L * oi;
            float lo = p.floatMin();
            float hi = p.floatMax();
            switch (op) {
                case 0 -> {
                    for (int k = 0; k < len; k++) {
                        float v = a.get(Mem.F32, ap + k * sa) + b.get(Mem.F32, bp + k * sb);
                        o.set(Mem.F32, op4 + 4L * k, Math.min(Math.max(v, lo), hi));
                    }
                }
                case 1 -> {
                    for (int k = 0; k < len; k++) {
                        float v = a.get(Mem.F32, ap + k * sa) - b.get(Mem.F32, bp + k * sb);
                        o.set(Mem.F32, op4 + 4L * k, Math.min(Math.max(v, lo), hi));
                    }
                }
                default -> {
                    for (int k = 0; k < len; k++) {
                        float v = a.get(Mem.F32, ap + k * sa) * b.get(Mem.F32, bp + k * sb);
                        o.set(Mem.F32, op4 + 4L * k, Math.min(Math.max(v, lo), hi));
                    }
                }
            }
        }
    }
}
