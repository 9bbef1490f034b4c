package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.ParallelTask;
import dev.whittle.runtime.kernels.reference.Pool2DKernels;
import java.lang.foreign.MemorySegment;

/**
 * Java AVERAGE_POOL_2D and MAX_POOL_2D ({@link ElementwiseFamilies#AVERAGE_POOL2D},
 * {@link ElementwiseFamilies#MAX_POOL2D}): the reference's arithmetic per channel (the same
 * accumulation order over the window, so float sums round alike), reading the tensor directly
 * with the window clipped once per output pixel. Output pixels split over threads for large
 * nodes. Names {@code qu8_average_pool2d__java}, {@code f32_max_pool2d__java}, ...
 */
public final class Pool2DJava implements Kernel<Pool2DKernels.Params>, ParallelTask<Pool2DKernels.Params> {
    private final String name;
    private final boolean max;
    private final int pixels;
    private final long work;
    private final long inBytes;
    private final long outBytes;

    private Pool2DJava(String name, boolean max, Pool2DKernels.Params p, int size) {
        this.name = name;
        this.max = max;
        this.pixels = p.batches() * p.outH() * p.outW();
        this.work = (long) pixels * p.channels() * p.fh() * p.fw();
        this.inBytes = (long) p.batches() * p.inH() * p.inW() * p.channels() * size;
        this.outBytes = (long) pixels * p.channels() * size;
    }

    /** The average-pool factory. */
    public static Kernel<Pool2DKernels.Params> average(Pool2DKernels.Params p) {
        return create(p, false);
    }

    /** The max-pool factory. */
    public static Kernel<Pool2DKernels.Params> max(Pool2DKernels.Params p) {
        return create(p, true);
    }

    private static Kernel<Pool2DKernels.Params> create(Pool2DKernels.Params p, boolean max) {
        String prefix = switch (p.type()) {
            case FLOAT32 -> "f32";
            case INT8 -> "qs8";
            case UINT8 -> "qu8";
            case INT16 -> "qs16";
            default -> null;
        };
        long in = (long) p.batches() * p.inH() * p.inW() * p.channels();
        long out = (long) p.batches() * p.outH() * p.outW() * p.channels();
        if (prefix == null || in * 4 > Integer.MAX_VALUE || out * 4 > Integer.MAX_VALUE || out == 0) {
            return null;
        }
        int size = p.type() == TensorType.FLOAT32 ? 4 : p.type() == TensorType.INT16 ? 2 : 1;
        return new Pool2DJava(prefix + (max ? "_max_pool2d__java" : "_average_pool2d__java"), max, p, size);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }

    /**
     * Channels per task of an 8/16-bit single-pixel pool (a global average pool at a network's
     * end) split by channels at 2 threads and more: person_detect's 3x3x256 pool took 1.8 us on
     * the invoking thread at any thread count; split, each worker also reads the channels it
     * wrote itself in the 1x1 convolution before, which {@code FusedDwConvGemm} splits by
     * channels there. A method of its own ({@link #channels}), so that the 1-thread path's
     * compiled loop stays as it was.
     */
    static final int CHANNELS_PER_TASK = 64;

    /** Channel tasks for a node at {@code threads} threads (1: no channel split). */
    private int channelTasks(Pool2DKernels.Params p, int threads) {
        return threads > 1 && pixels == 1 && p.type() != TensorType.FLOAT32
                ? Math.min(threads, p.channels() / CHANNELS_PER_TASK) : 1;
    }

    @Override
    public void run(Pool2DKernels.Params p, ExecutionState s) {
        int ct = channelTasks(p, s.threads());
        if (ct > 1) {
            s.parallelFor(ct, this, p);
            return;
        }
        int tasks = Math.min(pixels, Tasks.count(work, s.threads()));
        if (tasks <= 1) {
            range(p, s, 0, pixels);
        } else {
            s.parallelFor(tasks, this, p);
        }
    }

    @Override
    public void run(Pool2DKernels.Params p, ExecutionState s, int task, int worker) {
        int ct = channelTasks(p, s.threads());
        if (ct > 1) {
            channels(p, s, Tasks.start(p.channels(), task, ct), Tasks.start(p.channels(), task + 1, ct));
            return;
        }
        int tasks = Math.min(pixels, Tasks.count(work, s.threads()));
        range(p, s, Tasks.start(pixels, task, tasks), Tasks.start(pixels, task + 1, tasks));
    }

    /** Per-thread channel accumulators (kernels are shared by contexts and their workers). */
    private static final ThreadLocal<int[][]> ACCUMULATORS = ThreadLocal.withInitial(() -> new int[1][0]);

    private static int[] accumulators(int channels) {
        int[][] holder = ACCUMULATORS.get();
        if (holder[0].length < channels) {
            holder[0] = new int[channels];
        }
        return holder[0];
    }

    /**
     * Channels {@code c0..c1-1} of the one output pixel of an 8/16-bit pool: the sums and the
     * output stage of {@link #range}, channel by channel.
     */
    private void channels(Pool2DKernels.Params p, ExecutionState s, int c0, int c1) {
        MemorySegment in = Mem.of(s, p.input(), inBytes);
        MemorySegment out = Mem.of(s, p.output(), outBytes);
        int c = p.channels();
        int rowIn = p.inW() * c;
        TensorType type = p.type();
        int originY = -p.padH();
        int originX = -p.padW();
        int yStart = Math.max(0, -originY);
        int yEnd = Math.min(p.fh(), p.inH() - originY);
        int xStart = Math.max(0, -originX);
        int xEnd = Math.min(p.fw(), p.inW() - originX);
        int count = (yEnd - yStart) * (xEnd - xStart);
        long base = (long) originY * rowIn + (long) originX * c;
        int[] acc = accumulators(c);
        java.util.Arrays.fill(acc, c0, c1, max ? Integer.MIN_VALUE : 0);
        for (int fy = yStart; fy < yEnd; fy++) {
            for (int fx = xStart; fx < xEnd; fx++) {
                long at = base + (long) fy * rowIn + (long) fx * c;
                for (int ch = c0; ch < c1; ch++) {
                    int v = type == TensorType.UINT8 ? in.get(Mem.I8, at + ch) & 0xFF
                            : type == TensorType.INT8 ? in.get(Mem.I8, at + ch) : in.get(Mem.I16, (at + ch) << 1);
                    acc[ch] = max ? Math.max(acc[ch], v) : acc[ch] + v;
                }
            }
        }
        for (int ch = c0; ch < c1; ch++) {
            int a = acc[ch];
            int res = max ? a : a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
            res = Math.min(Math.max(res, p.quantMin()), p.quantMax());
            if (type == TensorType.INT16) {
                out.set(Mem.I16, (long) ch << 1, (short) res);
            } else {
                out.set(Mem.I8, ch, (byte) res);
            }
        }
    }

    /** Output pixels {@code from..to-1} (pixel = (b * outH + oy) * outW + ox). */
    private void range(Pool2DKernels.Params p, ExecutionState s, int from, int to) {
        MemorySegment in = Mem.of(s, p.input(), inBytes);
        MemorySegment out = Mem.of(s, p.output(), outBytes);
        int c = p.channels();
        int rowIn = p.inW() * c;
        TensorType type = p.type();
        for (int pix = from; pix < to; pix++) {
            int ox = pix % p.outW();
            int r = pix / p.outW();
            int oy = r % p.outH();
            int b = r / p.outH();
            int originY = oy * p.strideH() - p.padH();
            int originX = ox * p.strideW() - p.padW();
            int yStart = Math.max(0, -originY);
            int yEnd = Math.min(p.fh(), p.inH() - originY);
            int xStart = Math.max(0, -originX);
            int xEnd = Math.min(p.fw(), p.inW() - originX);
            int count = (yEnd - yStart) * (xEnd - xStart);
            long base = (long) b * p.inH() * rowIn + (long) originY * rowIn + (long) originX * c;
            long o = (long) pix * c;
            switch (type) {
                case FLOAT32 -> {
                    for (int ch = 0; ch < c; ch++) {
                        float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                        for (int fy = yStart; fy < yEnd; fy++) {
                            long row = base + (long) fy * rowIn + ch;
                            for (int fx = xStart; fx < xEnd; fx++) {
                                float v = in.get(Mem.F32, (row + (long) fx * c) << 2);
                                acc = max ? Math.max(acc, v) : acc + v;
                            }
                        }
                        float res = max ? acc : count > 0 ? acc / count : 0f;
                        out.set(Mem.F32, (o + ch) << 2, Math.min(Math.max(res, p.floatMin()), p.floatMax()));
                    }
                }
                case UINT8, INT8, INT16 -> {
                    // Channels innermost, into per-thread accumulators: the window's rows are
                    // contiguous runs of channels, so the loop over channels is long and
                    // vectorizes, where a window of 3x3 taps per channel was 9 scalar steps of
                    // loop overhead (person_detect's global 3x3 pool: 3.2 us). Same sums, in
                    // any order (integers).
                    int[] acc = accumulators(c);
                    java.util.Arrays.fill(acc, 0, c, max ? Integer.MIN_VALUE : 0);
                    for (int fy = yStart; fy < yEnd; fy++) {
                        for (int fx = xStart; fx < xEnd; fx++) {
                            long at = base + (long) fy * rowIn + (long) fx * c;
                            if (type == TensorType.UINT8) {
                                for (int ch = 0; ch < c; ch++) {
                                    int v = in.get(Mem.I8, at + ch) & 0xFF;
                                    acc[ch] = max ? Math.max(acc[ch], v) : acc[ch] + v;
                                }
                            } else if (type == TensorType.INT8) {
                                for (int ch = 0; ch < c; ch++) {
                                    int v = in.get(Mem.I8, at + ch);
                                    acc[ch] = max ? Math.max(acc[ch], v) : acc[ch] + v;
                                }
                            } else {
                                for (int ch = 0; ch < c; ch++) {
                                    int v = in.get(Mem.I16, (at + ch) << 1);
                                    acc[ch] = max ? Math.max(acc[ch], v) : acc[ch] + v;
                                }
                            }
                        }
                    }
                    for (int ch = 0; ch < c; ch++) {
                        int a = acc[ch];
                        int res = max ? a : a > 0 ? (a + count / 2) / count : (a - count / 2) / count;
                        res = Math.min(Math.max(res, p.quantMin()), p.quantMax());
                        if (type == TensorType.INT16) {
                            out.set(Mem.I16, (o + ch) << 1, (short) res);
                        } else {
                            out.set(Mem.I8, o + ch, (byte) res);
                        }
                    }
                }
                default -> throw new IllegalStateException(name);
            }
        }
    }
}
