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
    /** auto: blocked sparse only from this fraction of all-zero 1x4 blocks on (below, dense wins). */
    static final double AUTO_SPARSE_MIN_ZERO_BLOCKS = 0.70;
    /**
     * auto: 2:4 only when at least this many values per output channel (K) remain to skip.
     * Calibrated with Sparse24Benchmark-shaped layers (kernels/README.md "2:4"): the 2:4 conv
     * kernels beat their own dense kernel from K = 4 on (1.09x at K = 4, 1.16x at 8 and 32, up
     * to 1.31x at 1280, AVX2 and AVX-512 VNNI alike), so every conforming layer qualifies; the
     * shapes where 2:4 does not pay are declined by the 2:4 factories themselves (Q8Sp24Gemm:
     * AVX2 where the dense kernel runs on VNNI, VNNI below 4 output pixels).
     */
    static final int AUTO_SP24_MIN_K = 4;
    /** auto: the LUT format only for layers with at most this many distinct values per channel. */
    static final int AUTO_LUT_MAX_VALUES = 16;
    /** auto: the LUT format only for layers with at most this many output pixels (memory-bound). */
    static final long AUTO_LUT_MAX_M = 64;

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

    private static <F, K> Choice<K> choose(WeightFormat format, WeightStats s, long m, KernelFamily<F> sp24,
            KernelFamily<F> sparse, KernelFamily<F> lut, Function<F, K> build) {
        List<Candidate<F>> candidates = new ArrayList<>();
        String declined = "";
        switch (format) {
            case DENSE -> {
                return new Choice<>(null, "dense (--kernels dense); " + s.summary());
            }
            case SPARSE -> {
                if (s.conforms24()) {
                    candidates.add(new Candidate<>(sp24, "2:4"));
                }
                candidates.add(new Candidate<>(sparse, "sparse"));
            }
            case LUT -> candidates.add(new Candidate<>(lut, "lut"));
            case AUTO -> {
                if (s.conforms24() && s.k() >= AUTO_SP24_MIN_K) {
                    candidates.add(new Candidate<>(sp24, "2:4"));
                } else if (s.conforms24()) {
                    declined = "2:4 but K=" + s.k() + " < " + AUTO_SP24_MIN_K + "; ";
                }
                if (s.zeroBlocks4() >= AUTO_SPARSE_MIN_ZERO_BLOCKS) {
                    candidates.add(new Candidate<>(sparse, "sparse"));
                }
                if (s.distinctChannelMax() <= AUTO_LUT_MAX_VALUES && m <= AUTO_LUT_MAX_M) {
                    candidates.add(new Candidate<>(lut, "lut"));
                } else if (s.distinctChannelMax() <= AUTO_LUT_MAX_VALUES) {
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
