package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.ReduceKernels;
import dev.whittle.runtime.quant.CppMath;
import dev.whittle.runtime.quant.FixedPoint;
import java.lang.foreign.MemorySegment;

/**
 * Java MEAN and SUM ({@link ElementwiseFamilies#REDUCE}): the reference's arithmetic for each of
 * its TFLite paths ({@link ReduceKernels}: {@code mean}, {@code mean_hw}, {@code sum}, float),
 * with the input offsets of every output's first element and of every reduced element computed
 * once at prepare (the reference divides by every dimension per element). Reduced elements are
 * summed in the reference's order, so float sums round alike. Names
 * {@code qu8_mean_hw__java}, {@code f32_mean__java}, ...
 */
public final class ReduceJava implements Kernel<ReduceKernels.Params>, ParallelTask<ReduceKernels.Params> {
    private enum Variant {
        F32_MEAN, F32_SUM, MEAN, MEAN_HW, SUM
    }

    private static final int MAX_TABLE = 1 << 22;

    private final String name;
    private final Variant variant;
    private final int[] bases;
    private final int[] offsets;
    private final long inBytes;
    private final int size;
    // MEAN: the multiplier with 1/count folded in, as the reference computes it per call.
    private final int meanMultiplier;
    private final int meanShift;

    private ReduceJava(String name, Variant variant, int[] bases, int[] offsets, long inBytes, int size,
            int meanMultiplier, int meanShift) {
        this.name = name;
        this.variant = variant;
        this.bases = bases;
        this.offsets = offsets;
        this.inBytes = inBytes;
        this.size = size;
        this.meanMultiplier = meanMultiplier;
        this.meanShift = meanShift;
    }

    /** The family's Java factory. */
    public static Kernel<ReduceKernels.Params> create(ReduceKernels.Params p, Kernel<ReduceKernels.Params> ref) {
        Variant v;
        if (ref == ReduceKernels.F32_MEAN) {
            v = Variant.F32_MEAN;
        } else if (ref == ReduceKernels.F32_SUM) {
            v = Variant.F32_SUM;
        } else if (ref == ReduceKernels.QS8_MEAN || ref == ReduceKernels.QU8_MEAN || ref == ReduceKernels.QS16_MEAN) {
            v = Variant.MEAN;
        } else if (ref == ReduceKernels.QS8_MEAN_HW || ref == ReduceKernels.QU8_MEAN_HW) {
            v = Variant.MEAN_HW;
        } else if (ref == ReduceKernels.QS8_SUM || ref == ReduceKernels.QU8_SUM || ref == ReduceKernels.QS16_SUM) {
            v = Variant.SUM;
        } else {
            return null;
        }
        int size = switch (p.type()) {
            case INT8, UINT8 -> 1;
            case INT16 -> 2;
            case FLOAT32 -> 4;
            default -> 0;
        };
        if (size == 0 || p.outCount() <= 0 || p.count() <= 0 || p.outCount() > MAX_TABLE || p.count() > MAX_TABLE) {
            return null;
        }
        int[] bases = new int[p.outCount()];
        long maxIndex = 0;
        for (int o = 0; o < p.outCount(); o++) {
            int at = 0;
            int rem = o;
            for (int d = p.keptSizes().length - 1; d >= 0; d--) {
                at += (rem % p.keptSizes()[d]) * p.keptStrides()[d];
                rem /= p.keptSizes()[d];
            }
            bases[o] = at;
        }
        int[] offsets = new int[p.count()];
        for (int r = 0; r < p.count(); r++) {
            int at = 0;
            int rem = r;
            for (int d = p.reducedSizes().length - 1; d >= 0; d--) {
                at += (rem % p.reducedSizes()[d]) * p.reducedStrides()[d];
                rem /= p.reducedSizes()[d];
            }
            offsets[r] = at;
        }
        for (int b : bases) {
            maxIndex = Math.max(maxIndex, b);
        }
        long maxOff = 0;
        for (int off : offsets) {
            if (off < 0) {
                return null;
            }
            maxOff = Math.max(maxOff, off);
        }
        long inBytes = (maxIndex + maxOff + 1) * size;
        int mm = 0;
        int ms = 0;
        if (v == Variant.MEAN) {
            long count = p.count();
            int shift = 63 - Long.numberOfLeadingZeros(count);
            shift = Math.min(shift, 32);
            shift = Math.min(shift, 31 + p.shift());
            mm = (int) (((long) p.multiplier() << shift) / count);
            ms = p.shift() - shift;
        }
        String base = ref.name().substring(0, ref.name().length() - "__reference".length());
        return new ReduceJava(base + "__java", v, bases, offsets, inBytes, size, mm, ms);
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
    public void run(ReduceKernels.Params p, ExecutionState s) {
        int outs = bases.length;
        int tasks = Math.min(outs, Tasks.count((long) outs * offsets.length, s.threads()));
        if (tasks <= 1) {
            range(p, s, 0, outs);
        } else {
            s.parallelFor(tasks, this, p);
        }
    }

    @Override
    public void run(ReduceKernels.Params p, ExecutionState s, int task, int worker) {
        int outs = bases.length;
        int tasks = Math.min(outs, Tasks.count((long) outs * offsets.length, s.threads()));
        range(p, s, Tasks.start(outs, task, tasks), Tasks.start(outs, task + 1, tasks));
    }

    private void range(ReduceKernels.Params p, ExecutionState s, int from, int to) {
        MemorySegment in = Mem.of(s, p.input(), inBytes);
        MemorySegment out = Mem.of(s, p.output(), (long) bases.length * size);
        int[] offs = offsets;
        TensorType type = p.type();
        int min = type == TensorType.INT8 ? -128 : type == TensorType.UINT8 ? 0 : Short.MIN_VALUE;
        int max = type == TensorType.INT8 ? 127 : type == TensorType.UINT8 ? 255 : Short.MAX_VALUE;
        for (int o = from; o < to; o++) {
            long base = bases[o];
            if (type == TensorType.FLOAT32) {
                float sum = 0f;
                for (int off : offs) {
                    sum += in.get(Mem.F32, (base + off) << 2);
                }
                out.set(Mem.F32, (long) o << 2, variant == Variant.F32_MEAN ? sum / p.count() : sum);
                continue;
            }
            int sum = 0;
            if (type == TensorType.UINT8) {
                for (int off : offs) {
                    sum += in.get(Mem.I8, base + off) & 0xFF;
                }
            } else if (type == TensorType.INT8) {
                for (int off : offs) {
                    sum += in.get(Mem.I8, base + off);
                }
            } else {
                for (int off : offs) {
                    sum += in.get(Mem.I16, (base + off) << 1);
                }
            }
            int v = switch (variant) {
                case MEAN -> FixedPoint.multiplyByQuantizedMultiplier(
                        (int) (sum - (long) p.inZeroPoint() * p.count()), meanMultiplier, meanShift)
                        + p.outZeroPoint();
                case MEAN_HW -> FixedPoint.multiplyByQuantizedMultiplier(sum, p.multiplier(), p.shift())
                        + p.intBias();
                default -> (int) CppMath.round((float) sum * p.scale() + p.bias()) + p.outZeroPoint();
            };
            v = Math.min(Math.max(v, min), max);
            if (type == TensorType.INT16) {
                out.set(Mem.I16, (long) o << 1, (short) v);
            } else {
                out.set(Mem.I8, o, (byte) v);
            }
        }
    }
}
