package dev.whittle.runtime.kernels;

import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Per-layer choice of weight format for CONV_2D and FULLY_CONNECTED at prepare time: measures
 * the layer's weights ({@link WeightStats}), asks the weight-format families the
 * {@link WeightFormat} in force and the cost model allow, and says why. A null kernel in the
 * answer means "use the dense family"; the reason is recorded for {@code --profile} and
 * {@code inspect --runtime}.
 *
 * <p>The cost model: each format has a condition on the measured weights under which its
 * benchmarks (bench/README) show it faster than the dense kernel of the same layer; in
 * {@code auto} a format is tried only where its condition holds, in the order 2:4, blocked
 * sparse, LUT. {@code sparse} and {@code lut} try their formats wherever the weights allow
 * them at all (to measure, or to save memory where speed does not pay).
 */
public final class WeightKernels {
    /**
     * auto: blocked sparse only from this fraction of all-zero 1x4 blocks on (below, dense wins).
     * A first gate; each sparse kernel then decides on its own measure of the layer
     * ({@code Q8SparseGemm.AUTO_*}). Calibrated with SparseGemmBenchmark shapes (MobileNet v2
     * 1x1 convs and FC 1280 -> 1001, one thread, same weights, min of interleaved invokes;
     * kernels/README.md "Blocked unstructured sparse"): the fastest sparse kernel breaks even
     * with the dense kernel of its ISA at ~50-60% random zeros (AVX-512 VNNI rows kernel
     * {@code 4x16c4}: 0.88-1.15x at 50%, 1.02-1.60x at 70%, 1.03-2.38x at 80%; AVX2
     * {@code 32x1c2}: 1.04-1.05x at 50% on K >= 24, 1.1-1.4x at 70%, 1.4-1.9x at 80%). With zeros
     * where magnitude pruning leaves them a 1x4 block is zero with probability ~s^4: 0.13 at 60%.
     */
    static final double AUTO_SPARSE_MIN_ZERO_BLOCKS = 0.12;
    /**
     * auto: 2:4 only when at least this many values per output channel (K) remain to skip.
     * Calibrated with Sparse24Benchmark-shaped layers (kernels/README.md "2:4"): the 2:4 conv
     * kernels beat their own dense kernel from K = 4 on (1.09x at K = 4, 1.16x at 8 and 32, up
     * to 1.31x at 1280, AVX2 and AVX-512 VNNI alike), so every conforming layer qualifies; the
     * shapes where 2:4 does not pay are declined by the 2:4 factories themselves (Q8Sp24Gemm:
     * AVX2 where the dense kernel runs on VNNI, VNNI below 4 output pixels).
     */
    static final int AUTO_SP24_MIN_K = 4;
    /**
     * auto: the LUT format only for layers with at most this many distinct values per channel.
     * 16: the only LUT kernel ({@code *_lut4_8x2c8__avx2}, {@link Q8LutGemm}) has 4-bit indices.
     */
    static final int AUTO_LUT_MAX_VALUES = 16;
    /**
     * auto: the LUT format only for layers with at most this many output pixels (memory-bound).
     * Calibrated on Zen 4 (noisy shared machine; kernels/README.md, "LUT-decoded clustered
     * weights"): inside a whole clustered MobileNet v2 (weights evicted by the other layers) the
     * one-pixel 1280 -> 1001 classifier ran 0.09-0.11 ms on the LUT kernel against 0.16 ms dense
     * AVX2 and 0.11 ms dense AVX-512 VNNI; with its weights cache-hot (LutGemmBenchmark) and at
     * 4 or more pixels the LUT kernel is 0.5-1.0x dense AVX2 and ~0.5x dense VNNI, its vpshufb
     * decode costing ~15% more ALU work per MAC than the dense tile (2.2x at one pixel).
     */
    static final long AUTO_LUT_MAX_M = 1;
    /**
     * auto: the LUT format only for layers with at least this many values per output channel:
     * below, the 16-byte table per channel makes the packed weights more than ~60% of dense
     * int8 (133% at K = 24), the layer's weights are small enough to stay cached (nothing for
     * the LUT kernel to save), and any layer with K <= 16 has at most 16 values per channel
     * without being clustered at all.
     */
    static final int AUTO_LUT_MIN_K = 128;

    /**
     * sparse and auto: a 2:4 layer this sparse (fraction of all-zero 1x4 blocks; 0.3 is about 75%
     * random zeros, while an exact 2:4 layer has about 0.06) tries the blocked sparse kernels
     * before the 2:4 ones: measured on the same MobileNet v2 shapes, blocked sparse gives 1.3-1.7x
     * its dense kernel at 80% zeros and 1.5-2.5x at 90%, 2:4 at most 1.33x (AVX2) or 1.31x (VNNI).
     */
    static final double SPARSE_BEFORE_SP24_ZERO_BLOCKS = 0.30;

    /** A kernel (null: the dense family decides) and why. */
    public record Choice<K>(K kernel, String why) {
    }

    private record Candidate<F>(KernelFamily<F> family, String format) {
    }

    private WeightKernels() {
    }

    /**
     * The weight-format kernel for a CONV_2D node of dense family {@code dense}, or a null
     * kernel with the reason the dense kernel runs.
     */
    public static Choice<Kernel<ConvParams>> conv(KernelFamily<ConvKernelFactory> dense, ConvParams p,
            ByteBuffer filter, ByteBuffer bias) {
        if (!eightBitWeights(dense.name()) || p.groups() != 1) {
            return new Choice<>(null, "");
        }
        WeightStats stats = WeightStats.of(filter, p.outC(), p.kh() * p.kw() * p.filterInC(), p.filterInC(),
                dense != KernelRegistry.QU8_CONV2D, dense == KernelRegistry.QU8_CONV2D ? p.filterOffset() : 0);
        long m = (long) p.batches() * p.outH() * p.outW();
        return choose(WeightFormat.current(), stats, m, KernelRegistry.CONV2D_SP24, KernelRegistry.CONV2D_SPARSE,
                KernelRegistry.CONV2D_LUT, f -> f.create(dense, p, filter, bias, stats));
    }

    /** As {@link #conv}, for a quantized FULLY_CONNECTED node. */
    public static Choice<Kernel<QuantParams>> fullyConnected(KernelFamily<QuantizedFullyConnectedFactory> dense,
            QuantParams p, ByteBuffer weights, ByteBuffer bias) {
        if (!eightBitWeights(dense.name())) {
            return new Choice<>(null, "");
        }
        WeightStats stats = WeightStats.of(weights, p.outFeatures(), p.inFeatures(), p.inFeatures(),
                dense != KernelRegistry.QU8_FULLY_CONNECTED, p.weightsOffset());
        return choose(WeightFormat.current(), stats, p.batches(), KernelRegistry.FULLY_CONNECTED_SP24,
                KernelRegistry.FULLY_CONNECTED_SPARSE, KernelRegistry.FULLY_CONNECTED_LUT,
                f -> f.create(dense, p, weights, bias, stats));
    }

    private static boolean eightBitWeights(String family) {
        return family.startsWith("qs8") || family.startsWith("qu8") || family.startsWith("qs16_qc8w");
    }

    /**
     * Adds the blocked sparse and the 2:4 candidates that are allowed, blocked sparse first when
     * the layer is sparse enough for it to win ({@link #SPARSE_BEFORE_SP24_ZERO_BLOCKS}).
     */
    private static <F> void addSparseFormats(List<Candidate<F>> out, WeightStats s, KernelFamily<F> sp24,
            KernelFamily<F> sparse, boolean sparseOk, boolean sp24Ok) {
        Candidate<F> blocked = new Candidate<>(sparse, "sparse");
        Candidate<F> structured = new Candidate<>(sp24, "2:4");
        boolean sparseFirst = s.zeroBlocks4() >= SPARSE_BEFORE_SP24_ZERO_BLOCKS;
        for (Candidate<F> c : sparseFirst ? List.of(blocked, structured) : List.of(structured, blocked)) {
            if (c == blocked ? sparseOk : sp24Ok) {
                out.add(c);
            }
        }
    }

    private static <F, K> Choice<K> choose(WeightFormat format, WeightStats s, long m, KernelFamily<F> sp24,
            KernelFamily<F> sparse, KernelFamily<F> lut, Function<F, K> build) {
        List<Candidate<F>> candidates = new ArrayList<>();
        String declined = "";
        switch (format) {
            case DENSE -> {
                return new Choice<>(null, "dense (--kernels dense); " + s.summary());
            }
            case SPARSE -> addSparseFormats(candidates, s, sp24, sparse, true, s.conforms24());
            case LUT -> candidates.add(new Candidate<>(lut, "lut"));
            case AUTO -> {
                boolean sp24Ok = s.conforms24() && s.k() >= AUTO_SP24_MIN_K;
                if (s.conforms24() && !sp24Ok) {
                    declined = "2:4 but K=" + s.k() + " < " + AUTO_SP24_MIN_K + "; ";
                }
                addSparseFormats(candidates, s, sp24, sparse, s.zeroBlocks4() >= AUTO_SPARSE_MIN_ZERO_BLOCKS, sp24Ok);
                boolean clustered = s.distinctChannelMax() <= AUTO_LUT_MAX_VALUES && s.k() >= AUTO_LUT_MIN_K;
                if (clustered && m <= AUTO_LUT_MAX_M) {
                    candidates.add(new Candidate<>(lut, "lut"));
                } else if (clustered) {
                    declined += "clustered but " + m + " output pixels > " + AUTO_LUT_MAX_M + " (compute-bound); ";
                }
            }
        }
        for (Candidate<F> c : candidates) {
            K k = KernelRegistry.fastestOr(c.family(), build, null);
            if (k != null) {
                return new Choice<>(k, c.format() + " (--kernels " + format.label() + "); " + s.summary());
            }
            declined += "no " + c.format() + " kernel for this layer; ";
        }
        return new Choice<>(null, String.format(Locale.ROOT, "dense (--kernels %s); %s%s", format.label(), declined,
                s.summary()));
    }
}
