package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.NativeKernels;
import dev.whittle.runtime.kernels.reference.ResizeKernels;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * Java RESIZE_BILINEAR kernels ({@link ElementwiseFamilies#RESIZE_BILINEAR}), the reference's
 * arithmetic ({@link ResizeKernels}) with the source rows, columns and fractions computed once
 * at prepare instead of per element, and the channel loop innermost over contiguous memory:
 * {@code f32_resize_bilinear__java}, {@code qu8_resize_bilinear__java} (float weights, same
 * float operations in the same order, so the same roundings) and {@code qs8_}/{@code qs16_}
 * (the 10-bit fixed-point path). Output rows split over threads for large nodes.
 */
public final class ResizeBilinearKernels {
    private ResizeBilinearKernels() {
    }

    /** The family's Java factory. */
    public static Kernel<ResizeKernels.Params> create(ResizeKernels.Params p) {
        long count = (long) p.batches() * p.outH() * p.outW() * p.channels();
        if (count == 0 || count > Integer.MAX_VALUE
                || (long) p.batches() * p.inH() * p.inW() * p.channels() > Integer.MAX_VALUE / 4) {
            return null;
        }
        return switch (p.type()) {
            case FLOAT32, UINT8 -> new FloatWeights(p);
            case INT8, INT16 -> new FixedWeights(p);
            default -> null;
        };
    }

    /** The AVX2 factory: float32 and uint8 (the float-weight path), null for other types. */
    public static Kernel<ResizeKernels.Params> createAvx2(ResizeKernels.Params p) {
        if (p.type() != TensorType.FLOAT32 && p.type() != TensorType.UINT8) {
            return null;
        }
        Kernel<ResizeKernels.Params> twin = create(p);
        return twin == null ? null : new Avx2(p, (FloatWeights) twin);
    }

    /** {@code qu8_resize_bilinear__avx2}, {@code f32_resize_bilinear__avx2}: one native call per task. */
    private static final class Avx2 extends RowKernel {
        private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);
        private final FloatWeights twin;
        private final MemorySegment block;
        private final MethodHandle call;

        Avx2(ResizeKernels.Params p, FloatWeights twin) {
            super(p.type() == TensorType.FLOAT32 ? "f32_resize_bilinear__avx2" : "qu8_resize_bilinear__avx2", p);
            this.twin = twin;
            this.call = NativeKernels.handle("whittle_" + name(), SIGNATURE);
            int h = p.outH();
            int w = p.outW();
            block = NativeKernels.allocate(32 + 12L * h + 12L * w);
            int[] header = {p.batches(), p.inH(), p.inW(), p.channels(), h, w, 0, 0};
            for (int i = 0; i < header.length; i++) {
                block.setAtIndex(ValueLayout.JAVA_INT, i, header[i]);
            }
            long at = 32;
            for (int y = 0; y < h; y++) {
                block.set(ValueLayout.JAVA_INT, at + 4L * y, twin.y0[y]);
                block.set(ValueLayout.JAVA_INT, at + 4L * (h + y), twin.y1[y]);
                block.set(ValueLayout.JAVA_FLOAT, at + 4L * (2 * h + y), twin.fy[y]);
            }
            at += 12L * h;
            for (int x = 0; x < w; x++) {
                block.set(ValueLayout.JAVA_INT, at + 4L * x, twin.x0[x]);
                block.set(ValueLayout.JAVA_INT, at + 4L * (w + x), twin.x1[x]);
                block.set(ValueLayout.JAVA_FLOAT, at + 4L * (2 * w + x), twin.fx[x]);
            }
        }

        @Override
        void rows(ResizeKernels.Params p, ExecutionState s, int from, int to) {
            long in = s.address(p.input());
            long out = s.address(p.output());
            if (in == 0 || out == 0) {
                twin.rows(p, s, from, to);
                return;
            }
            try {
                call.invokeExact(block.address(), in, out, (long) from, (long) to);
            } catch (Throwable t) {
                throw new IllegalStateException(name() + " failed", t);
            }
        }
    }

    private abstract static class RowKernel implements Kernel<ResizeKernels.Params>,
            ParallelTask<ResizeKernels.Params> {
        private final String name;
        final int rows;
        private final long count;

        RowKernel(String name, ResizeKernels.Params p) {
            this.name = name;
            this.rows = p.batches() * p.outH();
            this.count = (long) rows * p.outW() * p.channels();
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
        public final void run(ResizeKernels.Params p, ExecutionState s) {
            int tasks = Math.min(rows, Tasks.count(count, s.threads()));
            if (tasks <= 1) {
                rows(p, s, 0, rows);
            } else {
                s.parallelFor(tasks, this, p);
            }
        }

        @Override
        public final void run(ResizeKernels.Params p, ExecutionState s, int task, int worker) {
            int tasks = Math.min(rows, Tasks.count(count, s.threads()));
            rows(p, s, Tasks.start(rows, task, tasks), Tasks.start(rows, task + 1, tasks));
        }

        /** Output rows {@code from..to-1} (row = batch * outH + y). */
        abstract void rows(ResizeKernels.Params p, ExecutionState s, int from, int to);
    }

    private static float scale(int in, int out, boolean alignCorners) {
        return alignCorners && out > 1 ? (float) (in - 1) / (out - 1) : (float) in / out;
    }

    /** float32 and uint8: {@code ComputeInterpolationValues} in float, float corner weights. */
    private static final class FloatWeights extends RowKernel {
        private final boolean u8;
        private final long inBytes;
        private final long outBytes;
        private final int[] y0;
        private final int[] y1;
        private final float[] fy;
        private final int[] x0;
        private final int[] x1;
        private final float[] fx;

        FloatWeights(ResizeKernels.Params p) {
            super(p.type() == TensorType.FLOAT32 ? "f32_resize_bilinear__java" : "qu8_resize_bilinear__java", p);
            u8 = p.type() == TensorType.UINT8;
            int size = u8 ? 1 : 4;
            inBytes = (long) p.batches() * p.inH() * p.inW() * p.channels() * size;
            outBytes = (long) p.batches() * p.outH() * p.outW() * p.channels() * size;
            float hs = scale(p.inH(), p.outH(), p.alignCorners());
            float ws = scale(p.inW(), p.outW(), p.alignCorners());
            y0 = new int[p.outH()];
            y1 = new int[p.outH()];
            fy = new float[p.outH()];
            for (int y = 0; y < p.outH(); y++) {
                float iy = p.halfPixelCenters() ? ((float) y + 0.5f) * hs - 0.5f : (float) y * hs;
                y0[y] = Math.max((int) (float) Math.floor(iy), 0);
                y1[y] = Math.min((int) (float) Math.ceil(iy), p.inH() - 1);
                fy[y] = iy - y0[y];
            }
            x0 = new int[p.outW()];
            x1 = new int[p.outW()];
            fx = new float[p.outW()];
            for (int x = 0; x < p.outW(); x++) {
                float ix = p.halfPixelCenters() ? ((float) x + 0.5f) * ws - 0.5f : (float) x * ws;
                x0[x] = Math.max((int) (float) Math.floor(ix), 0);
                x1[x] = Math.min((int) (float) Math.ceil(ix), p.inW() - 1);
                fx[x] = ix - x0[x];
            }
        }

        @Override
        void rows(ResizeKernels.Params p, ExecutionState s, int from, int to) {
            MemorySegment in = Mem.of(s, p.input(), inBytes);
            MemorySegment out = Mem.of(s, p.output(), outBytes);
            int c = p.channels();
            int outW = p.outW();
            int rowIn = p.inW() * c;
            for (int r = from; r < to; r++) {
                int b = r / p.outH();
                int y = r - b * p.outH();
                int base = b * p.inH() * rowIn;
                int r0 = base + y0[y] * rowIn;
                int r1 = base + y1[y] * rowIn;
                float dy = fy[y];
                long o = (long) r * outW * c;
                for (int x = 0; x < outW; x++) {
                    float dx = fx[x];
                    float w00 = (1 - dy) * (1 - dx);
                    float w01 = (1 - dy) * dx;
                    float w10 = dy * (1 - dx);
                    float w11 = dy * dx;
                    long i00 = r0 + x0[x] * c;
                    long i01 = r0 + x1[x] * c;
                    long i10 = r1 + x0[x] * c;
                    long i11 = r1 + x1[x] * c;
                    if (u8) {
                        rowU8(in, out, i00, i01, i10, i11, o, c, w00, w01, w10, w11);
                    } else {
                        rowF32(in, out, i00, i01, i10, i11, o, c, w00, w01, w10, w11);
                    }
                    o += c;
                }
            }
        }

        private static void rowU8(MemorySegment in, MemorySegment out, long i00, long i01, long i10, long i11, long o,
                int c, float w00, float w01, float w10, float w11) {
            for (int k = 0; k < c; k++) {
                float v = (in.get(Mem.I8, i00 + k) & 0xFF) * w00 + (in.get(Mem.I8, i01 + k) & 0xFF) * w01
                        + (in.get(Mem.I8, i10 + k) & 0xFF) * w10 + (in.get(Mem.I8, i11 + k) & 0xFF) * w11 + 0.5f;
                out.set(Mem.I8, o + k, (byte) (int) v);
            }
        }

        private static void rowF32(MemorySegment in, MemorySegment out, long i00, long i01, long i10, long i11, long o,
                int c, float w00, float w01, float w10, float w11) {
            for (int k = 0; k < c; k++) {
                float v = in.get(Mem.F32, (i00 + k) << 2) * w00 + in.get(Mem.F32, (i01 + k) << 2) * w01
                        + in.get(Mem.F32, (i10 + k) << 2) * w10 + in.get(Mem.F32, (i11 + k) << 2) * w11;
                out.set(Mem.F32, (o + k) << 2, v);
            }
        }
    }

    private static int scale10(int in, int out, boolean alignCorners) {
        if (alignCorners && out > 1) {
            return ((1 << 10) * (in - 1) + (out - 1) / 2) / (out - 1);
        }
        return ((1 << 10) * in + out / 2) / out;
    }

    /** int8 and int16: {@code ResizeBilinearInteger}, 10 fractional bits, int64 sums. */
    private static final class FixedWeights extends RowKernel {
        private final boolean s16;
        private final int[] y0;
        private final int[] y1;
        private final long[] dyv;
        private final int[] x0;
        private final int[] x1;
        private final long[] dxv;

        FixedWeights(ResizeKernels.Params p) {
            super(p.type() == TensorType.INT8 ? "qs8_resize_bilinear__java" : "qs16_resize_bilinear__java", p);
            s16 = p.type() == TensorType.INT16;
            int hs = scale10(p.inH(), p.outH(), p.alignCorners());
            int ws = scale10(p.inW(), p.outW(), p.alignCorners());
            y0 = new int[p.outH()];
            y1 = new int[p.outH()];
            dyv = new long[p.outH()];
            for (int y = 0; y < p.outH(); y++) {
                int iy = p.halfPixelCenters() ? y * hs + hs / 2 - (1 << 9) : y * hs;
                y0[y] = Math.max(iy / (1 << 10), 0);
                y1[y] = Math.min((iy + (1 << 10) - 1) / (1 << 10), p.inH() - 1);
                dyv[y] = iy - (1 << 10) * y0[y];
            }
            x0 = new int[p.outW()];
            x1 = new int[p.outW()];
            dxv = new long[p.outW()];
            for (int x = 0; x < p.outW(); x++) {
                int ix = p.halfPixelCenters() ? x * ws + ws / 2 - (1 << 9) : x * ws;
                x0[x] = Math.max(ix / (1 << 10), 0);
                x1[x] = Math.min((ix + (1 << 10) - 1) / (1 << 10), p.inW() - 1);
                dxv[x] = ix - (1 << 10) * x0[x];
            }
        }

        @Override
        void rows(ResizeKernels.Params p, ExecutionState s, int from, int to) {
            ByteBuffer in = s.buffer(p.input());
            ByteBuffer out = s.buffer(p.output());
            int inOff = s.offset(p.input());
            int outOff = s.offset(p.output());
            int c = p.channels();
            int outW = p.outW();
            int rowIn = p.inW() * c;
            for (int r = from; r < to; r++) {
                int b = r / p.outH();
                int y = r - b * p.outH();
                int base = b * p.inH() * rowIn;
                int r0 = base + y0[y] * rowIn;
                int r1 = base + y1[y] * rowIn;
                long dy = dyv[y];
                int o = r * outW * c;
                for (int x = 0; x < outW; x++) {
                    long dx = dxv[x];
                    long w00 = ((1 << 10) - dy) * ((1 << 10) - dx);
                    long w10 = dy * ((1 << 10) - dx);
                    long w01 = ((1 << 10) - dy) * dx;
                    long w11 = dy * dx;
                    int i00 = r0 + x0[x] * c;
                    int i01 = r0 + x1[x] * c;
                    int i10 = r1 + x0[x] * c;
                    int i11 = r1 + x1[x] * c;
                    for (int k = 0; k < c; k++) {
                        long v00;
                        long v10;
                        long v01;
                        long v11;
                        if (s16) {
                            v00 = in.getShort(inOff + ((i00 + k) << 1));
                            v10 = in.getShort(inOff + ((i10 + k) << 1));
                            v01 = in.getShort(inOff + ((i01 + k) << 1));
                            v11 = in.getShort(inOff + ((i11 + k) << 1));
                        } else {
                            v00 = in.get(inOff + i00 + k);
                            v10 = in.get(inOff + i10 + k);
                            v01 = in.get(inOff + i01 + k);
                            v11 = in.get(inOff + i11 + k);
                        }
                        long sum = v00 * w00 + v10 * w10 + v01 * w01 + v11 * w11;
                        long round = sum > 0 ? (1 << 19) : -(1 << 19);
                        long v = (sum + round) / (1 << 20);
                        if (s16) {
                            out.putShort(outOff + ((o + k) << 1), (short) v);
                        } else {
                            out.put(outOff + o + k, (byte) v);
                        }
                    }
                    o += c;
                }
            }
        }
    }
}
