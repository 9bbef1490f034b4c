package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ArgMinMaxKernels;
import java.nio.ByteBuffer;

/**
 * Java ARG_MAX/ARG_MIN ({@link ElementwiseFamilies#ARG_MIN_MAX}): the reference's comparisons
 * (the first index no later element beats strictly), reading each type directly from the
 * buffer instead of through the widening per-element accessors:
 * {@code qu8_argminmax__java}, {@code qs8_}, {@code f32_}, {@code s32_}.
 */
public final class ArgMinMaxJava implements Kernel<ArgMinMaxKernels.Params>, ParallelTask<ArgMinMaxKernels.Params> {
    private final String name;
    private final long work;

    private ArgMinMaxJava(String name, long work) {
        this.name = name;
        this.work = work;
    }

    /** The family's Java factory. */
    public static Kernel<ArgMinMaxKernels.Params> create(ArgMinMaxKernels.Params p) {
        long work = (long) p.outer() * p.axisSize() * p.inner();
        if (work == 0 || work > Integer.MAX_VALUE / 4 || p.axisSize() < 1 || p.axisSize() > 0xFFFF) {
            return null;
        }
        if (p.outType() != TensorType.INT32 && p.outType() != TensorType.INT64) {
            return null;
        }
        String prefix = switch (p.type()) {
            case FLOAT32 -> "f32";
            case INT8 -> "qs8";
            case UINT8 -> "qu8";
            case INT32 -> "s32";
            default -> null;
        };
        return prefix == null ? null : new ArgMinMaxJava(prefix + "_argminmax__java", work);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }

    @Override
    public void run(ArgMinMaxKernels.Params p, ExecutionState s) {
        int tasks = Math.min(p.outer() * p.inner(), Tasks.count(work, s.threads()));
        if (tasks <= 1) {
            range(p, s, 0, p.outer() * p.inner());
        } else {
            s.parallelFor(tasks, this, p);
        }
    }

    @Override
    public void run(ArgMinMaxKernels.Params p, ExecutionState s, int task, int worker) {
        int outputs = p.outer() * p.inner();
        int tasks = Math.min(outputs, Tasks.count(work, s.threads()));
        range(p, s, Tasks.start(outputs, task, tasks), Tasks.start(outputs, task + 1, tasks));
    }

    /** Output elements {@code from..to-1} (output index = o * inner + i). */
    private static void range(ArgMinMaxKernels.Params p, ExecutionState s, int from, int to) {
        ByteBuffer in = s.buffer(p.input());
        ByteBuffer out = s.buffer(p.output());
        int inOff = s.offset(p.input());
        int outOff = s.offset(p.output());
        int axis = p.axisSize();
        int inner = p.inner();
        boolean max = p.max();
        boolean out64 = p.outType() == TensorType.INT64;
        TensorType type = p.type();
        for (int j = from; j < to; j++) {
            int o = j / inner;
            int i = j - o * inner;
            int at = o * axis * inner + i;
            int best = 0;
            switch (type) {
                case FLOAT32 -> {
                    float bestF = in.getFloat(inOff + (at << 2));
                    for (int a = 1; a < axis; a++) {
                        float v = in.getFloat(inOff + ((at + a * inner) << 2));
                        if (max ? v > bestF : v < bestF) {
                            bestF = v;
                            best = a;
                        }
                    }
                }
                case UINT8, INT8 -> {
                    // Branch-free: the key is the value (sign-flipped to unsigned order for
                    // int8, negated for min) above the reversed index, so the largest key is the
                    // first index of the best value, as the strict comparison keeps it.
                    int flip = type == TensorType.INT8 ? 0x80 : 0;
                    int bestKey = Integer.MIN_VALUE;
                    for (int a = 0; a < axis; a++) {
                        int v = (in.get(inOff + at + a * inner) & 0xFF) ^ flip;
                        int key = ((max ? v : 255 - v) << 16) | (0xFFFF - a);
                        bestKey = Math.max(bestKey, key);
                    }
                    best = 0xFFFF - (bestKey & 0xFFFF);
                }
                default -> {
                    int bestI = in.getInt(inOff + (at << 2));
                    for (int a = 1; a < axis; a++) {
                        int v = in.getInt(inOff + ((at + a * inner) << 2));
                        if (max ? v > bestI : v < bestI) {
                            bestI = v;
                            best = a;
                        }
                    }
                }
            }
            if (out64) {
                out.putLong(outOff + (j << 3), best);
            } else {
                out.putInt(outOff + (j << 2), best);
            }
        }
    }
}
