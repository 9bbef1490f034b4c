package dev.whittle.runtime.ops;

import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Op;
import dev.whittle.runtime.PrepareContext;
import dev.whittle.runtime.kernels.reference.ElementWidth;
import dev.whittle.runtime.kernels.reference.LayoutKernels;
import dev.whittle.runtime.kernels.reference.LayoutKernels.StridedParams;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * STRIDED_SLICE as TFLite 2.20's {@code strided_slice.cc} computes it: input rank 1..5;
 * begin, end and strides 1-D INT32 tensors known at compile time; begin, end, ellipsis,
 * new-axis and shrink-axis masks and the {@code offset} option. The masks are first rewritten
 * onto an "effective" input (new axes inserted as size-1 dimensions, the ellipsis expanded to
 * full ranges, missing trailing indices taken whole) exactly as TFLite's
 * {@code BuildStridedSliceParams} does, bit quirks included; then each axis's start and stop
 * are clamped as {@code StridedSliceStartForAxis}/{@code StridedSliceEndForAxis} clamp them
 * (negative indices wrap once, forward ranges clamp to {@code [0, size]}, backward ones to
 * {@code [-1, size - 1]}, a mask overrides after clamping), and the output dimension is
 * {@code max(0, ceil((stop - start) / (float) stride))} as TFLite computes it in float.
 *
 * <p>Where TFLite's output shape and the number of elements its loop writes would disagree
 * (a shrunk axis whose index is out of range, an {@code offset} size that runs past the end)
 * TFLite leaves memory unwritten or writes past it; those slices are refused. Types: TFLite's
 * list (FLOAT32, FLOAT16, BFLOAT16, INT8, UINT8, INT16, INT32, UINT32, INT64, BOOL), moved by
 * the {@code xN_strided_slice__reference} kernel of the element's width.
 */
public final class StridedSlice implements Op<StridedParams> {
    private static final Set<TensorType> TYPES = EnumSet.of(TensorType.FLOAT32, TensorType.FLOAT16,
            TensorType.BFLOAT16, TensorType.INT8, TensorType.UINT8, TensorType.INT16, TensorType.INT32,
            TensorType.UINT32, TensorType.INT64, TensorType.BOOL);

    @Override
    public StridedParams prepare(PrepareContext ctx) {
        ctx.requireArity(4, 4, 1);
        ElementWidth w = LayoutSupport.width(ctx, TYPES);
        int[] input = LayoutSupport.requireRankAtMost(ctx, 0, 5);
        for (int i = 1; i <= 3; i++) {
            if (ctx.inputShape(i).length != 1) {
                throw ctx.unsupported("input " + i + " must be 1-D");
            }
        }
        int[] beginData = LayoutSupport.knownInt32(ctx, 1, "begin");
        int[] endData = LayoutSupport.knownInt32(ctx, 2, "end");
        int[] strideData = LayoutSupport.knownInt32(ctx, 3, "strides");
        int beginCount = beginData.length;
        if (endData.length != beginCount || strideData.length != beginCount) {
            throw ctx.unsupported("begin, end and strides must have as many elements");
        }
        if (beginCount > 31) {
            throw ctx.unsupported("more than 31 indices");
        }
        BuiltinOptions o = ctx.options();
        int beginMaskIn = o == null ? 0 : o.getInt("begin_mask");
        int endMaskIn = o == null ? 0 : o.getInt("end_mask");
        int ellipsisMaskIn = o == null ? 0 : o.getInt("ellipsis_mask");
        int newAxisMaskIn = o == null ? 0 : o.getInt("new_axis_mask");
        int shrinkMaskIn = o == null ? 0 : o.getInt("shrink_axis_mask");
        boolean offset = o != null && o.getBool("offset");
        if (Integer.bitCount(ellipsisMaskIn) > 1) {
            throw ctx.unsupported("more than one ellipsis in ellipsis_mask " + ellipsisMaskIn);
        }
        if (offset && (ellipsisMaskIn != 0 || newAxisMaskIn != 0 || beginCount != input.length)) {
            // TFLite then reads the sizes at effective positions, past the end tensor.
            throw ctx.unsupported("offset is supported with one index per input dimension and no ellipsis or"
                    + " new axis");
        }

        // TFLite's BuildStridedSliceParams.
        int numAddAxis = 0;
        for (int i = 0; i < beginCount; i++) {
            if ((ellipsisMaskIn & (1 << i)) == 0 && (newAxisMaskIn & (1 << i)) != 0) {
                numAddAxis++;
            }
        }
        int dims = input.length + numAddAxis;
        if (dims > 5) {
            throw ctx.unsupported("TFLite supports up to 5 dimensions including added axes, this slice has " + dims);
        }
        int ellipsisMask = 0;
        int newAxisMask = 0;
        int ellipsisStart = dims;
        int expandedEllipsis = 0;
        for (int i = 0; i < dims;) {
            if ((ellipsisMaskIn & (1 << i)) != 0) {
                ellipsisStart = i;
                int ellipsisEnd = Math.max(i + 1, Math.min(i + 1 + numAddAxis + input.length - beginCount, dims));
                expandedEllipsis = ellipsisEnd - ellipsisStart - 1;
                for (; i < ellipsisEnd; i++) {
                    ellipsisMask |= 1 << i;
                }
                continue;
            }
            if ((newAxisMaskIn & (1 << (i - expandedEllipsis))) != 0) {
                newAxisMask |= 1 << i;
            }
            i++;
        }
        int[] start = new int[dims];
        int[] stop = new int[dims];
        int[] strides = new int[dims];
        int[] eff = new int[dims];
        int beginMask = 0;
        int endMask = 0;
        int shrinkMask = 0;
        int addedEllipsis = 0;
        int addedAxes = 0;
        for (int i = 0; i < dims; i++) {
            strides[i] = 1;
            if ((ellipsisMask & (1 << i)) != 0) {
                addedEllipsis = Math.max(0, i - ellipsisStart);
                beginMask |= 1 << i;
                endMask |= 1 << i;
                eff[i] = input[i - addedAxes];
            } else if ((newAxisMask & (1 << i)) != 0) {
                stop[i] = 1;
                eff[i] = 1;
                addedAxes++;
            } else if (i >= beginCount + expandedEllipsis) {
                beginMask |= 1 << i;
                endMask |= 1 << i;
                eff[i] = input[i - addedAxes];
            } else {
                int orig = i - addedEllipsis;
                start[i] = beginData[orig];
                stop[i] = endData[orig];
                strides[i] = strideData[orig];
                if ((beginMaskIn & (1 << orig)) != 0) {
                    beginMask |= 1 << i;
                }
                if ((endMaskIn & (1 << orig)) != 0) {
                    endMask |= 1 << i;
                }
                if ((shrinkMaskIn & (1 << orig)) != 0) {
                    shrinkMask |= 1 << i;
                }
                eff[i] = input[i - addedAxes];
            }
        }

        // TFLite's ResizeOutputTensor, and the loop counts of its kernel.
        List<Integer> outShape = new ArrayList<>();
        int[] counts = new int[dims];
        int[] first = new int[dims];
        for (int i = 0; i < dims; i++) {
            int stride = strides[i];
            if (stride == 0) {
                throw ctx.unsupported("stride " + i + " is 0");
            }
            int begin = startForAxis(start[i], stride, eff[i], (beginMask & (1 << i)) != 0);
            int end = endForAxis(stop[i], stride, eff[i], begin, (endMask & (1 << i)) != 0,
                    (shrinkMask & (1 << i)) != 0, offset);
            long n = stride > 0 ? ceilDiv((long) end - begin, stride) : ceilDiv((long) begin - end, -(long) stride);
            counts[i] = (int) Math.max(0, n);
            first[i] = begin;
            boolean shrink = (shrinkMask & (1 << i)) != 0;
            if (shrink) {
                if (counts[i] != 1) {
                    throw ctx.unsupported("shrunk axis " + i + " (begin " + start[i] + ", stride " + stride + ", size "
                            + eff[i] + "): TFLite's loop writes no element there (a backward stride, or a begin"
                            + " clamped to the end), leaving its output undefined");
                }
                continue;
            }
            int dim = offset ? endData[i] : end - begin;
            dim = (int) Math.ceil(dim / (float) stride);
            dim = Math.max(dim, 0);
            if (dim != counts[i]) {
                throw ctx.unsupported("axis " + i + ": TFLite's output dimension " + dim + " differs from the "
                        + counts[i] + " elements its loop reads (begin " + start[i] + ", end " + stop[i] + ", stride "
                        + stride + ", size " + eff[i] + ")");
            }
            outShape.add(dim);
        }
        int[] out = outShape.stream().mapToInt(Integer::intValue).toArray();
        ctx.setOutputShape(0, out);

        int[] inStrides = OpSupport.strides(eff);
        int base = 0;
        int[] steps = new int[dims];
        for (int i = 0; i < dims; i++) {
            if (counts[i] > 0) {
                base += first[i] * inStrides[i];
            }
            steps[i] = strides[i] * inStrides[i];
        }
        int count = OpSupport.product(counts);
        return new StridedParams(LayoutKernels.stridedSlice(w), ctx.input(0), ctx.output(0), count,
                count == 0 ? 0 : base, counts, steps);
    }

    /** TFLite's {@code StridedSliceStartForAxis}. */
    static int startForAxis(int start, int stride, int size, boolean masked) {
        if (start < 0) {
            start += size;
        }
        start = stride > 0 ? clamp(start, 0, size) : clamp(start, -1, size - 1);
        if (masked) {
            start = stride > 0 ? 0 : size - 1;
        }
        return start;
    }

    /** TFLite's {@code StridedSliceEndForAxis}. */
    static int endForAxis(int stop, int stride, int size, int start, boolean masked, boolean shrink, boolean offset) {
        if (shrink) {
            return start >= size ? start : start + 1;
        }
        int end = offset ? stop + start : stop;
        if (end < 0) {
            end += size;
        }
        end = stride > 0 ? clamp(end, 0, size) : clamp(end, -1, size - 1);
        if (masked) {
            end = stride > 0 ? size : -1;
        }
        return end;
    }

    private static int clamp(int v, int lo, int hi) {
        return hi < v ? hi : v < lo ? lo : v;
    }

    private static long ceilDiv(long a, long b) {
        return a <= 0 ? 0 : (a + b - 1) / b;
    }

    @Override
    public void eval(StridedParams p, ExecutionState s) {
        p.kernel().run(p, s);
    }
}
