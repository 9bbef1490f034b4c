package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvKernels;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * One 16x8 CONV_2D or FULLY_CONNECTED node as the weight-format kernels (sparse) need it: the
 * validated geometry and the dense kernels' output-stage integers ({@link Qs16NativeConv},
 * {@link Qs16NativeFullyConnected} derive the same), and the {@code whittle_qs16_gemm_params}
 * block those kernels share, written as {@link Qs16Gemm} writes it (weights pointer 0).
 *
 * @param geometry batches, inH, inW, inC, outH, outW, outC, kh, kw, strideH, strideW, dilH, dilW, padH, padW
 * @param reference the node's reference kernel (runs when the tensors are not in native memory)
 */
record Qs16FormatNode(long[] geometry, int n, int k, long[] bias, int stage, long[] mult, long[] shift, long[] rnd,
        double[] scale, int actMin, int actMax, Object reference) {

    long m() {
        return geometry[0] * geometry[4] * geometry[5];
    }

    boolean direct() {
        return geometry[7] == 1 && geometry[8] == 1 && geometry[13] == 0 && geometry[14] == 0;
    }

    long kp() {
        return (k + 1) & ~1L;
    }

    @SuppressWarnings("unchecked")
    Kernel<ConvParams> convReference() {
        return (Kernel<ConvParams>) reference;
    }

    @SuppressWarnings("unchecked")
    Kernel<QuantParams> fcReference() {
        return (Kernel<QuantParams>) reference;
    }

    /** A 16x8 CONV_2D node, or null for what the 16x8 native kernels do not handle. */
    static Qs16FormatNode conv(KernelFamily<ConvKernelFactory> dense, ConvParams p, ByteBuffer bias) {
        if (dense != KernelRegistry.QS16_QC8W_CONV2D || p.groups() != 1 || p.filterInC() != p.inC()
                || p.inputOffset() != 0 || p.outputOffset() != 0 || p.filterOffset() != 0
                || (p.bias() >= 0 && bias == null) || p.batches() <= 0 || p.outH() <= 0 || p.outW() <= 0
                || p.inC() <= 0 || p.outC() <= 0 || p.kh() <= 0 || p.kw() <= 0
                || (long) p.kh() * p.kw() * p.inC() * p.outC() > Integer.MAX_VALUE) {
            return null;
        }
        int n = p.outC();
        long[] mult = new long[n];
        long[] shift = new long[n];
        long[] rnd = new long[n];
        for (int c = 0; c < n; c++) {
            int mm = p.multipliers()[c];
            int s = p.shifts()[c];
            if (mm < 0 || s < -31 || s >= 8) {
                return null; // the reference throws for these; let it
            }
            mult[c] = Qs16Gemm.reducedMultiplier(mm);
            shift[c] = 15 - s;
            rnd[c] = 1L << (shift[c] - 1);
        }
        long[] b = null;
        if (bias != null) {
            ByteBuffer bb = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b = new long[n];
            for (int c = 0; c < n; c++) {
                b[c] = bb.getLong(c * 8);
            }
        }
        long[] geometry = {p.batches(), p.inH(), p.inW(), p.inC(), p.outH(), p.outW(), n, p.kh(), p.kw(),
            p.strideH(), p.strideW(), p.dilH(), p.dilW(), p.padH(), p.padW()};
        return new Qs16FormatNode(geometry, n, p.kh() * p.kw() * p.inC(), b, Qs16Gemm.STAGE_INT64, mult, shift, rnd,
                null, p.actMin(), p.actMax(), ConvKernels.QS16_QC8W);
    }

    /** A 16x8 FULLY_CONNECTED node, or null. */
    static Qs16FormatNode fc(KernelFamily<QuantizedFullyConnectedFactory> dense, QuantParams p, ByteBuffer bias) {
        if (dense != KernelRegistry.QS16_QC8W_FULLY_CONNECTED || p.inputOffset() != 0 || p.weightsOffset() != 0
                || p.outputOffset() != 0 || (p.bias() >= 0 && bias == null) || p.batches() <= 0
                || p.inFeatures() <= 0 || p.outFeatures() <= 0
                || (long) p.inFeatures() * p.outFeatures() > Integer.MAX_VALUE) {
            return null;
        }
        boolean wide = p.realScales() != null;
        int n = p.outFeatures();
        long[] b = null;
        if (bias != null) {
            ByteBuffer bb = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            b = new long[n];
            for (int c = 0; c < n; c++) {
                b[c] = p.biasIs64() ? bb.getLong(c * 8) : bb.getInt(c * 4);
            }
        }
        long[] mult = null;
        long[] shift = null;
        long[] rnd = null;
        if (!wide) {
            mult = new long[n];
            shift = new long[n];
            rnd = new long[n];
            for (int c = 0; c < n; c++) {
                mult[c] = p.multipliers()[c];
                shift[c] = p.shifts()[c];
            }
        }
        long[] geometry = {1, 1, p.batches(), p.inFeatures(), 1, p.batches(), n, 1, 1, 1, 1, 1, 1, 0, 0};
        return new Qs16FormatNode(geometry, n, p.inFeatures(), b, wide ? Qs16Gemm.STAGE_DOUBLE : Qs16Gemm.STAGE_RUY,
                mult, shift, rnd, wide ? p.realScales().clone() : null, p.actMin(), p.actMax(),
                wide ? FullyConnectedReference.QS16_QC8W : FullyConnectedReference.QS16_QC8W_GEMM);
    }

    /**
     * A params block of {@code header} bytes ({@code whittle_qs16_gemm_params} first, the
     * format's fields after it, written by the caller) and the per-channel arrays after it.
     */
    MemorySegment paramsBlock(long header, int nr, int nPadded) {
        long arrays = 5L * nPadded * 8;
        MemorySegment block = NativeKernels.allocate(header + arrays);
        long biasAt = header;
        long multAt = biasAt + nPadded * 8L;
        long shiftAt = multAt + nPadded * 8L;
        long rndAt = shiftAt + nPadded * 8L;
        long scaleAt = rndAt + nPadded * 8L;
        long[] h = new long[24];
        System.arraycopy(geometry, 0, h, 0, 15);
        h[15] = k;
        h[16] = kp();
        h[17] = direct() ? 1 : 0;
        h[18] = stage;
        h[19] = nr;
        h[20] = nPadded;
        h[21] = actMin;
        h[22] = actMax;
        for (int i = 0; i < h.length; i++) {
            block.set(JAVA_LONG, i * 8L, h[i]);
        }
        long base = block.address();
        block.set(JAVA_LONG, 192, 0L);
        block.set(JAVA_LONG, 200, base + biasAt);
        block.set(JAVA_LONG, 208, base + multAt);
        block.set(JAVA_LONG, 216, base + shiftAt);
        block.set(JAVA_LONG, 224, base + rndAt);
        block.set(JAVA_LONG, 232, base + scaleAt);
        for (int c = 0; c < n; c++) {
            block.set(JAVA_LONG, biasAt + c * 8L, bias == null ? 0 : bias[c]);
            if (scale != null) {
                block.set(ValueLayout.JAVA_DOUBLE, scaleAt + c * 8L, scale[c]);
            } else {
                block.set(JAVA_LONG, multAt + c * 8L, mult[c]);
                block.set(JAVA_LONG, shiftAt + c * 8L, shift[c]);
                block.set(JAVA_LONG, rndAt + c * 8L, rnd[c]);
            }
        }
        for (int c = n; c < nPadded; c++) {
            block.set(JAVA_LONG, shiftAt + c * 8L, 15);
            block.set(JAVA_LONG, rndAt + c * 8L, 1L << 14);
        }
        return block;
    }
}
