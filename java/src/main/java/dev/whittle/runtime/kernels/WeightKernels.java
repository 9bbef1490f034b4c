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
     * {@code 32x1c2}, now {@code 64x1c2}: 1.04-1.05x at 50% on K >= 24, 1.1-1.4x at 70%, 1.4-1.9x at 80%). With zeros
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
     * auto: the LUT format only for layers with at most this many distinct values per channel
     * at few pixels ({@link #AUTO_LUT_MAX_M}): 4-bit indices. 17..32 values (5-bit indices,
     * {@code lut5}, AVX-512 VNNI only) measured 0.78 of dense at FC batch 1 (the bitplane and a
     * second shuffle per 64 weights) and 1.00-1.02 from 784 pixels on: auto takes them only there
     * ({@link #AUTO_LUT5_MAX_VALUES}).
     */
    static final int AUTO_LUT_MAX_VALUES = 16;
    /** auto: layers with at most this many values per channel take LUT from {@link #AUTO_LUT_MIN_M} pixels on. */
    static final int AUTO_LUT5_MAX_VALUES = 32;
    /**
     * auto: the LUT format for layers with at most this many output pixels (memory-bound: the
     * in-register decoders stream half of dense int8's bytes). Calibrated with
     * {@code LutGemmBenchmark.main} (Zen 4, one thread, dense and LUT invoked alternately, min of
     * 200-300, shared machine): FC 1280 -> 1001 at batch 1, LUT / dense speed 1.17 on AVX-512
     * VNNI ({@code lut4_4x16c16}, weights hot) and, inside a whole clustered MobileNet v2 on AVX2
     * (weights evicted by the other layers), 0.09-0.11 ms LUT against 0.16 ms dense; at batch 2-64
     * 0.71-0.89 (AVX2) and 0.86-0.89 (VNNI, except 1.29 at batch 2 where the AVX2 kernel gives
     * 0.72): dense.
     * <p>Session 11 ({@code lut4_4x2c16__avx2} at 1..7 pixels, same benchmark): AVX2 batch 1
     * 0.89-0.94 of dense hot (was 0.77), batch 2-7 0.70-0.76 hot, 1.39-2.62x with the weights
     * evicted before each invoke (-Dwhittle.bench.evictMb=64); inside the clustered MobileNet v2
     * the classifier 0.067 ms on it against 0.124-0.174 ms dense AVX2. The hot per-layer loss at
     * 2-7 pixels keeps the threshold at 1 (a batch-2..7 FC whose weights stay cached would lose).
     */
    static final long AUTO_LUT_MAX_M = 1;
    /**
     * auto: the LUT format also for layers with at least this many output pixels, where the
     * panel-decoding kernels ({@code lut4_4x16c2__avx2}, {@code lut4_8x16c4__avx512vnni}: one
     * 16-channel panel decoded into L1 per block of up to 512 pixels, the dense microkernel over
     * it) pay the decode once per hundreds of pixels. Calibrated with {@code LutGemmBenchmark.main}
     * (Zen 4, one thread, dense and LUT invoked alternately, min of 200-300; LUT / dense of the
     * same ISA, AVX2; VNNI, qu8): 3136 pixels: 56x56x24x144 0.99; 1.02, 56x56x144x24 1.00; 1.01-1.02;
     * 12544 (3x3 stride 2 224x224x3x32) 1.00; 0.98; 784: 28x28x32x192 1.02; 1.02, 28x28x192x32
     * 1.00; 1.01-1.02 (lut5 1.01); 196: 14x14x96x576 0.99; 1.00, but 14x14x576x96 0.96; 0.98 and
     * 14x14x576x160 -; 0.98 (the decode, ~5.5 ops per 64 weights on VNNI, is ~2-4% of a layer
     * of 196 pixels, whatever K); 49 (7x7x320x1280) 0.93; 0.91-0.93; 8-64 pixels 0.63-0.93. So
     * from 784 on (MobileNet v2's 28x28 stage and larger).
     * <p>Session 7 (VBMI, {@code lut4vbmi_16x16c4__avx512vnni}: vpermi2b decode, 16-pixel tiles in
     * registers up to 128 pixels; same benchmark, min of 150, load 5-7): 8-196 pixels now 0.95-0.98
     * (7x7x320x1280 0.97-0.98, FC batch 8 / 16 / 32 0.96 / 0.97 / 0.97, 10x10x320x1280 0.96,
     * 14x14x96x576 0.97-0.98), still below 1.0, so both thresholds stay. From 784 on: 56x56x24x144
     * 1.00-1.03, 28x28x32x192 1.00-1.02, 56x56x144x24 0.98-1.00 (0.84-0.86 before the 8-channel
     * last panel), 3x3 s2 224x224x3x32 0.97-1.07 (K = 27: auto keeps it dense by
     * AUTO_LUT_PANEL_MIN_K). See kernels/README.md.
     */
    static final long AUTO_LUT_MIN_M = 784;
    /**
     * auto, at few pixels ({@link #AUTO_LUT_MAX_M}): the LUT format only for layers with at least
     * this many values per output channel: below, the 16-byte table per channel makes the packed
     * weights more than ~60% of dense int8 (133% at K = 24), the layer's weights are small enough
     * to stay cached (nothing for the in-register kernels to save), and any layer with K <= 16 has
     * at most 16 values per channel without being clustered at all.
     */
    static final int AUTO_LUT_MIN_K = 128;
    /**
     * auto, at many pixels ({@link #AUTO_LUT_MIN_M}): the panel kernels run at the dense speed
     * whatever K (1.02 at K = 24 and 32, 1.00-1.01 at 96..192), so the only question is memory:
     * from K = 64 on the packed weights are at most 75% of dense int8 (K / 2 + 16 bytes per
     * channel), below they are not smaller (100% at K = 32).
     */
    static final int AUTO_LUT_PANEL_MIN_K = 64;
    /**
     * auto: whether the AVX2 5-bit-index kernel ({@code lut5_4x16c2__avx2}, session 13) is taken
     * for 17..32 values: no, it is below dense AVX2 everywhere measured. {@code LutGemmBenchmark.main
     * 300 qu8 avx2 SHAPES 32} (dense and lut5 of the same weights in one process, invoked
     * alternately, min of 200-300, one thread, Zen 4 shared, load ~4-5), dense / lut5:
     * 56x56x24x144 0.98-0.99, 56x56x144x24 0.96, 28x28x192x32 0.97, 28x28x32x192 0.89-0.99,
     * 14x14x384x64 0.96, 14x14x96x576 0.96, 7x7x320x1280 0.84 ({@code lut5_4x16c2}: the panel
     * decode, ~45 ops per 32 weights, twice lut4's); FC 1280 -> 1001 batch 1 / 2 / 4 / 7 / 15 0.60 /
     * 0.52 / 0.57 / 0.55 / 0.56 ({@code lut5_4x2c16}), batch 16 0.62. Only with the weights evicted
     * before each invoke ({@code -Dwhittle.bench.evictMb=64}) does it win: batch 1 1.66, batch 4
     * 1.47; a hot loss of 0.6 is too much to bet on cold weights (lut4 takes one pixel at 0.9 hot).
     * {@code --kernels lut} still takes it (the memory: 65% of dense int8 at K = 1280).
     * kernels/README.md, "lut5 on AVX2".
     */
    static final boolean AUTO_LUT5_AVX2 = false;

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
                boolean clustered = s.distinctChannelMax() <= AUTO_LUT5_MAX_VALUES && s.k() >= AUTO_LUT_PANEL_MIN_K;
                boolean few = s.distinctChannelMax() <= AUTO_LUT_MAX_VALUES && m <= AUTO_LUT_MAX_M
                        && s.k() >= AUTO_LUT_MIN_K;
                if (clustered && (few || m >= AUTO_LUT_MIN_M)) {
                    candidates.add(new Candidate<>(lut, "lut"));
                } else if (clustered) {
                    declined += "clustered but " + m + " output pixels (LUT at <= " + AUTO_LUT_MAX_M + " with <= "
                            + AUTO_LUT_MAX_VALUES + " values, or >= " + AUTO_LUT_MIN_M + "; decode not amortized); ";
                }
            }
        }
        for (Candidate<F> c : candidates) {
            K k = KernelRegistry.fastestOr(c.family(), build, null);
            if (k instanceof dev.whittle.runtime.Kernel<?> lut5 && format == WeightFormat.AUTO && !AUTO_LUT5_AVX2
                    && lut5.name().contains("_lut5_") && !lut5.name().endsWith("__avx512vnni")) {
                // AVX2 (measured below dense) and NEON (lut5_4x16c16__neondot: the in-register c16
                // kernel at every M, not measured, whose VNNI twin runs 0.68-0.71 of dense at 49-196 pixels)
                declined += "lut5 off AVX-512 VNNI (below dense, AUTO_LUT5_AVX2); ";
                continue;
            }
            if (k != null) {
                return new Choice<>(k, c.format() + " (--kernels " + format.label() + "); " + s.summary());
            }
            declined += "no " + c.format() + " kernel for this layer; ";
        }
        return new Choice<>(null, String.format(Locale.ROOT, "dense (--kernels %s); %s%s", format.label(), declined,
                s.summary()));
    }
}
