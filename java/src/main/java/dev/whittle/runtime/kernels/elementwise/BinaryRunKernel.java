package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.BinaryParams;
import java.lang.foreign.MemorySegment;

/**
 * Base of the Java binary kernels: walks an output range as runs of the innermost collapsed
 * dimension ({@link BroadcastPlan}) and hands each run to {@link #row}, reading the tensors as memory
 * segments ({@link Mem}: native arena or heap constants alike, so constants and compile-time
 * folding need no fallback). Large nodes split into contiguous
 * output ranges on the context's threads.
 */
abstract class BinaryRunKernel implements Kernel<BinaryParams>, ParallelTask<BinaryParams> {
    private final String name;
    final BroadcastPlan plan;
    private final int count;
    private final int elementBytes;
    private final long aBytes;
    private final long bBytes;

    BinaryRunKernel(String name, BroadcastPlan plan, int elementBytes) {
        this.name = name;
        this.plan = plan;
        this.count = (int) plan.count();
        this.elementBytes = elementBytes;
        // One past the last element each input is read at.
        this.aBytes = ((long) (plan.n0() - 1) * plan.a0() + (long) (plan.n1() - 1) * plan.a1()
                + (long) (plan.n2() - 1) * plan.a2() + 1) * elementBytes;
        this.bBytes = ((long) (plan.n0() - 1) * plan.b0() + (long) (plan.n1() - 1) * plan.b1()
                + (long) (plan.n2() - 1) * plan.b2() + 1) * elementBytes;
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
    public final void run(BinaryParams p, ExecutionState s) {
        int tasks = Tasks.count(count, s.threads());
        if (tasks <= 1) {
            range(p, s, 0, count);
        } else {
            s.parallelFor(tasks, this, p);
        }
    }

    @Override
    public final void run(BinaryParams p, ExecutionState s, int task, int worker) {
        int tasks = Tasks.count(count, s.threads());
        range(p, s, Tasks.start(count, task, tasks), Tasks.start(count, task + 1, tasks));
    }

    private void range(BinaryParams p, ExecutionState s, int from, int to) {
        BroadcastPlan q = plan;
        // Tensors in native memory are read through Mem.ALL at their addresses: no segment is
        // made per call (a slice per tensor cost 120 bytes of garbage per invoke); constants
        // and compile-time folding (address 0) get slices of their heap buffers.
        long aAddr = s.address(p.a());
        long bAddr = s.address(p.b());
        long oAddr = s.address(p.output());
        MemorySegment a;
        MemorySegment b;
        MemorySegment o;
        long aOff;
        long bOff;
        long oOff;
        if (aAddr != 0 && bAddr != 0 && oAddr != 0 && Mem.ALL != null) {
            a = Mem.ALL;
            b = Mem.ALL;
            o = Mem.ALL;
            aOff = aAddr;
            bOff = bAddr;
            oOff = oAddr;
        } else {
            a = Mem.of(s, p.a(), aBytes);
            b = Mem.of(s, p.b(), bBytes);
            o = Mem.of(s, p.output(), (long) count * elementBytes);
            aOff = 0;
            bOff = 0;
            oOff = 0;
        }
        int n1 = q.n1();
        int n2 = q.n2();
        int i2 = from % n2;
        int r = from / n2;
        int i1 = r % n1;
        int i0 = r / n1;
        int i = from;
        while (i < to) {
            int len = Math.min(n2 - i2, to - i);
            row(p, a, aOff, i0 * q.a0() + i1 * q.a1() + i2 * q.a2(), b, bOff, i0 * q.b0() + i1 * q.b1() + i2 * q.b2(),
                    o, oOff, i, len);
            i += len;
            i2 = 0;
            if (++i1 == n1) {
                i1 = 0;
                i0++;
            }
        }
    }

    /**
     * Computes output elements {@code oi..oi+len-1}; input elements start at {@code ai} and
     * {@code bi} (element indices) and step by the plan's innermost strides {@code a2}/{@code b2}.
     * Buffer offsets {@code aOff}, {@code bOff}, {@code oOff} are in bytes.
     */
    abstract void row(BinaryParams p, MemorySegment a, long aOff, int ai, MemorySegment b, long bOff, int bi,
            MemorySegment o, long oOff, int oi, int len);
}
