package dev.whittle.runtime.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;

/**
 * What the dense ({@link Q8Gemm}), 2:4 ({@link Q8Sp24Gemm}), blocked sparse ({@link Q8SparseGemm})
 * and LUT ({@link Q8LutGemm}) GEMMs share: the checks of a {@link Q8Gemm.Spec} against what the
 * native code assumes, the {@code whittle_q8_gemm_params} header and per-channel output stage
 * they all write, and the split of a node into pixel or channel tasks.
 */
final class Q8GemmLayout {
    private Q8GemmLayout() {
    }

    /** Whether every size is positive (paddings non-negative). */
    static boolean validGeometry(Q8Gemm.Spec s) {
        return s.batches() >= 1 && s.inH() >= 1 && s.inW() >= 1 && s.inC() >= 1 && s.outH() >= 1 && s.outW() >= 1
                && s.outC() >= 1 && s.kh() >= 1 && s.kw() >= 1 && s.strideH() >= 1 && s.strideW() >= 1
                && s.dilH() >= 1 && s.dilW() >= 1 && s.padH() >= 0 && s.padW() >= 0;
    }

    /**
     * The output pixels ({@code batches * outH * outW}).
     *
     * @throws ArithmeticException where the output or the input tensor pass int32 indexing
     */
    static long pixels(Q8Gemm.Spec s) {
        long m = Math.multiplyExact((long) s.batches(), Math.multiplyExact((long) s.outH(), s.outW()));
        Math.toIntExact(Math.multiplyExact(m, (long) s.outC()));
        Math.toIntExact(Math.multiplyExact((long) s.batches() * s.inH() * s.inW(), (long) s.inC()));
        return m;
    }

    /**
     * Whether the weights ({@code [outC][k]}), bias and quantization suit the native output
     * stage: shifts in [-31, 31], no multiplier of {@code Integer.MIN_VALUE}, the input zero
     * point in the byte type, a weight offset within 255 (so {@code w + weightsOffset} stays in
     * int16 and its per-channel sums exact in int32).
     */
    static boolean validQuant(Q8Gemm.Spec s, ByteBuffer w, int k, ByteBuffer bias) {
        if (w.capacity() < (long) s.outC() * k || (bias != null && bias.capacity() < 4L * s.outC())
                || s.multipliers().length < s.outC() || s.shifts().length < s.outC()) {
            return false;
        }
        for (int o = 0; o < s.outC(); o++) {
            if (s.shifts()[o] < -31 || s.shifts()[o] > 31 || s.multipliers()[o] == Integer.MIN_VALUE) {
                return false;
            }
        }
        int zp = -s.inputOffset();
        if (s.unsigned() ? zp < 0 || zp > 255 : zp < -128 || zp > 127) {
            return false;
        }
        return Math.abs((long) s.weightsOffset()) <= 255;
    }

    /**
     * Writes channel {@code o}'s output stage into arrays 0..8 of the channel block ({@code np}
     * ints each): the constant term, the multiplier, the left and right shifts and the rounding
     * constants the kernels derive from the right shift.
     */
    static void putOutputStage(MemorySegment channel, int np, int o, int constant, int multiplier, int shift) {
        int left = Math.max(shift, 0);
        int right = Math.max(-shift, 0);
        int nudge = right > 0 ? 1 << (right - 1) : 0;
        int mask = (int) ((1L << right) - 1);
        int[] values = {constant, multiplier, left, right, nudge, Integer.MAX_VALUE - nudge,
            right > 0 ? 1 << (31 - right) : 0, mask, mask >> 1};
        for (int array = 0; array < values.length; array++) {
            channel.set(ValueLayout.JAVA_INT, 4L * ((long) array * np + o), values[array]);
        }
    }

    /**
     * Writes the {@code whittle_q8_gemm_params} header at the start of {@code params}: the
     * geometry, {@code k, kp, np, mb}, the output stage's scalars, {@code field25} and
     * {@code field26} (the per-row coefficient and the input flip or bias of the variant), whether
     * any channel shifts left, and the weight and channel block addresses (bytes 112 and 120).
     */
    static void putHeader(MemorySegment params, Q8Gemm.Spec s, int k, int kp, int np, int mb, int field25,
            int field26, long weights, long channel) {
        boolean leftShift = false;
        for (int o = 0; o < s.outC(); o++) {
            leftShift |= s.shifts()[o] > 0;
        }
        int[] header = {s.batches(), s.inH(), s.inW(), s.inC(), s.outH(), s.outW(), s.outC(), s.kh(), s.kw(),
                s.strideH(), s.strideW(), s.dilH(), s.dilW(), s.padH(), s.padW(), k, kp, np, mb,
                s.gemmlowp() ? 1 : 0, -s.inputOffset(), s.outputOffset(), s.actMin(), s.actMax(),
                s.unsigned() ? 1 : 0, field25, field26, leftShift ? 1 : 0};
        for (int i = 0; i < header.length; i++) {
            params.set(ValueLayout.JAVA_INT, 4L * i, header[i]);
        }
        params.set(ValueLayout.JAVA_LONG, 112, weights);
        params.set(ValueLayout.JAVA_LONG, 120, channel);
    }

    /**
     * The split of {@code m} pixels x {@code n} channels into tasks: contiguous blocks of pixels
     * (multiples of {@code mTile}, about 4 per thread) where the pixels are many, else blocks of
     * the {@code groups} channel groups of {@code group} channels. The pixels are split where
     * {@code m >= pixelsPerThread * threads}, or {@code m >= pixelsAlways} when that is positive
     * and, where {@code balance} ({@link NativeDepthwiseConv#FEW_ROWS_SPLIT_PROPERTY}, off by
     * default), the channel groups would not share the work out more evenly: few pixel tiles cut
     * unevenly (person_detect's 6x6 layers: 36 pixels in tiles of 8, 16 and 20 pixels for 2
     * workers) go to channel groups when those split evenly (8 groups: 4 and 4).
     */
    record Split(int m, int n, int mTile, int group, int groups, int pixelsPerThread, int pixelsAlways,
            boolean balance) {
        /** With the balance check as {@link NativeDepthwiseConv#fewRowsSplit} says now. */
        Split(int m, int n, int mTile, int group, int groups, int pixelsPerThread, int pixelsAlways) {
            this(m, n, mTile, group, groups, pixelsPerThread, pixelsAlways, NativeDepthwiseConv.fewRowsSplit());
        }

        private boolean splitsPixels(int threads) {
            if (m >= pixelsPerThread * threads) {
                return true;
            }
            return pixelsAlways > 0 && m >= pixelsAlways && !(balance && groupsBalanceBetter(threads));
        }

        /**
         * Whether the most work one worker gets of the static split (worker {@code w} owns tasks
         * {@code [w * tasks / threads, (w + 1) * tasks / threads)}, as {@code IntraOpPool}) is
         * smaller, by more than 1/32 of the node, with channel groups than with pixel blocks.
         */
        boolean groupsBalanceBetter(int threads) {
            int pc = pixelChunk(threads);
            int pt = (m + pc - 1) / pc;
            int gc = groupChunk(threads);
            int gt = (groups + gc - 1) / gc;
            long pixelMax = 0;
            long groupMax = 0;
            for (int w = 0; w < threads; w++) {
                long p0 = Math.min(m, (long) pt * w / threads * pc);
                long p1 = Math.min(m, (long) pt * (w + 1) / threads * pc);
                pixelMax = Math.max(pixelMax, p1 - p0);
                long g0 = Math.min(groups, (long) gt * w / threads * gc);
                long g1 = Math.min(groups, (long) gt * (w + 1) / threads * gc);
                groupMax = Math.max(groupMax, g1 - g0);
            }
            // pixelMax / m against groupMax / groups, in integers.
            return 32 * groupMax * m + (long) m * groups < 32 * pixelMax * groups;
        }

        private int pixelChunk(int threads) {
            int perTask = (m + 4 * threads - 1) / (4 * threads);
            return Q8Gemm.roundUp(Math.max(perTask, mTile), mTile);
        }

        /** Tasks for {@code threads} workers. */
        int tasks(int threads) {
            if (threads <= 1) {
                return 1;
            }
            if (splitsPixels(threads)) {
                int chunk = pixelChunk(threads);
                return (m + chunk - 1) / chunk;
            }
            int chunk = groupChunk(threads);
            return (groups + chunk - 1) / chunk;
        }

        private int groupChunk(int threads) {
            return (groups + 4 * threads - 1) / (4 * threads);
        }

        /** The first output pixel of task {@code task} of {@link #tasks}{@code (threads)}. */
        int m0(int threads, int task) {
            return threads > 1 && splitsPixels(threads) ? task * pixelChunk(threads) : 0;
        }

        /** The end (exclusive) of task {@code task}'s output pixels. */
        int m1(int threads, int task) {
            return threads > 1 && splitsPixels(threads) ? Math.min(m, m0(threads, task) + pixelChunk(threads)) : m;
        }

        /** The first output channel of task {@code task} (a multiple of {@code group}). */
        int n0(int threads, int task) {
            return threads > 1 && !splitsPixels(threads) ? task * groupChunk(threads) * group : 0;
        }

        /** The end (exclusive) of task {@code task}'s output channels. */
        int n1(int threads, int task) {
            return threads > 1 && !splitsPixels(threads) ? Math.min(n, n0(threads, task) + groupChunk(threads) * group)
                    : n;
        }

        /**
         * Calls {@code handle (params, input, output, scratch, m0, m1, n0, n1)} on task
         * {@code task} of {@link #tasks}{@code (threads)}.
         */
        void invoke(MethodHandle handle, String name, long params, int threads, long input, long output,
                long scratch, int task) {
            invoke(handle, name, params, threads, input, output, scratch, task, task + 1);
        }

        /**
         * Calls {@code handle} once on tasks {@code [from, to)} of {@link #tasks}{@code (threads)}:
         * their pixels or channel groups are consecutive, and every output element is computed
         * the same way whichever call covers it.
         */
        void invoke(MethodHandle handle, String name, long params, int threads, long input, long output,
                long scratch, int from, int to) {
            call(handle, name, params, input, output, scratch, m0(threads, from), m1(threads, to - 1),
                    n0(threads, from), n1(threads, to - 1));
        }
    }

    /**
     * Calls a GEMM kernel {@code handle (params, input, output, scratch, m0, m1, n0, n1)}: output
     * pixels {@code [m0, m1)} of channels {@code [n0, n1)} ({@code n0} a multiple of the split's
     * group), the signature of every 8-bit GEMM kernel (dense, 2:4, sparse, LUT).
     */
    static void call(MethodHandle handle, String name, long params, long input, long output, long scratch, int m0,
            int m1, int n0, int n1) {
        try {
            handle.invokeExact(params, input, output, scratch, m0, m1, n0, n1);
        } catch (Throwable t) {
            throw new IllegalStateException(name + " failed", t);
        }
    }
}
