package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int8GemmKernels;
import dev.whittle.internal.vectorization.Int8LutGemm;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The weight-format kernels of the Java path (issue 9, "Java Vector API versions"): CONV_2D and
 * FULLY_CONNECTED for {@code qs8}, {@code qs8_qc8w} and {@code qu8} on the Java int8 GEMM's
 * driver ({@link Int8Conv2D}, {@link Int8FullyConnected}: im2col, blocks, tasks, reference
 * fallback) with a micro-kernel that reads another weight format. Named
 * {@code <dense family>_<format>_4x<nr>__<panama256|panama512|scalar>}.
 *
 * <p>A factory here accepts a node only where its dense family runs on the Java path
 * ({@code -Dwhittle.kernels=java}, or no native library): a Java format kernel never replaces a
 * native dense one. In {@code auto} it also applies its own cost model (below).
 */
public final class JavaWeightKernels {
    /**
     * auto: the Java LUT kernel runs where the layer has at most this many output pixels (rows).
     * Measured with {@code JavaWeightKernelsBenchmark.main} (see its comment and
     * kernels/README.md "Java path weight formats").
     */
    static final long AUTO_LUT_MAX_M = 0;

    private JavaWeightKernels() {
    }

    /** Whether the node's dense family dispatches to the Java path under the current property. */
    private static boolean denseOnJava(KernelFamily<?> dense) {
        return KernelRegistry.select(dense).path() == KernelPath.JAVA;
    }

    private static boolean int8Family(String name) {
        return name.startsWith("qs8_") || name.startsWith("qu8_");
    }

    private static int[] bias(ByteBuffer bias, int n) {
        if (bias == null) {
            return null;
        }
        int[] b = new int[n];
        ByteBuffer le = bias.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int o = 0; o < n; o++) {
            b[o] = le.getInt(o * 4);
        }
        return b;
    }

    /**
     * The LUT-16 CONV_2D factory ({@link KernelRegistry#CONV2D_LUT} on the Java path): layers
     * with at most 16 distinct weight values ({@code whittle cluster --clusters 16}).
     *
     * @param gated whether {@code auto} applies the cost model (false: accept whatever the
     *     kernel can run, for tests of the twin)
     */
    public static WeightFormatConvFactory lutConv(VectorizationProvider provider, boolean gated) {
        return (dense, p, filter, bias, stats) -> {
            if (!int8Family(dense.name()) || (gated && !denseOnJava(dense)) || p.groups() != 1
                    || p.filterInC() != p.inC() || p.batches() < 1 || (p.bias() >= 0 && bias == null)
                    || stats.distinctLayer() > Int8LutGemm.MAX_VALUES) {
                return null;
            }
            int k;
            int pixels;
            int weights;
            try {
                k = Math.multiplyExact(Math.multiplyExact(p.kh(), p.kw()), p.inC());
                pixels = Math.multiplyExact(Math.multiplyExact(p.batches(), p.outH()), p.outW());
                weights = Math.multiplyExact(k, p.outC());
                Math.multiplyExact(Math.multiplyExact(p.batches(), p.inH()), Math.multiplyExact(p.inW(), p.inC()));
                Math.multiplyExact(pixels, p.outC());
            } catch (ArithmeticException e) {
                return null;
            }
            if (k == 0 || pixels == 0 || p.outC() == 0
                    || (gated && WeightFormat.current() == WeightFormat.AUTO && pixels > AUTO_LUT_MAX_M)) {
                return null;
            }
            boolean unsigned = dense.name().startsWith("qu8_");
            byte[] w = new byte[weights];
            filter.get(0, w);
            Int8LutGemm lut = Int8LutGemm.pack(provider, w, k, p.outC(), unsigned,
                    bias(p.bias() >= 0 ? bias : null, p.outC()), p.inputOffset(), unsigned ? p.filterOffset() : 0,
                    p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(), p.actMax(), !unsigned);
            if (lut == null) {
                return null;
            }
            String name = dense.name() + "_lut4_" + Int8GemmKernels.MR + "x" + lut.kernels().nr() + "__"
                    + provider.isa();
            return new Conv(Int8Conv2D.withKernels(name, lut.kernels(), lut.gemm(), p), lut.packedBytes());
        };
    }

    /** The LUT-16 FULLY_CONNECTED factory ({@link KernelRegistry#FULLY_CONNECTED_LUT} on the Java path). */
    public static WeightFormatFcFactory lutFc(VectorizationProvider provider, boolean gated) {
        return (dense, p, weights, bias, stats) -> {
            String family = dense.name();
            if (!int8Family(family) || (gated && !denseOnJava(dense))
                    || stats.distinctLayer() > Int8LutGemm.MAX_VALUES) {
                return null;
            }
            boolean unsigned = family.startsWith("qu8_");
            Kernel<QuantParams> reference = unsigned ? FullyConnectedReference.QU8
                    : family.startsWith("qs8_qc8w_") ? FullyConnectedReference.QS8_QC8W : FullyConnectedReference.QS8;
            int k = p.inFeatures();
            int n = p.outFeatures();
            if ((p.bias() >= 0 && bias == null) || k <= 0 || n <= 0 || p.batches() <= 0
                    || (long) k * n > Integer.MAX_VALUE - 64
                    || (long) p.batches() * Math.max(k, n) > Integer.MAX_VALUE
                    || (gated && WeightFormat.current() == WeightFormat.AUTO && p.batches() > AUTO_LUT_MAX_M)) {
                return null;
            }
            byte[] w = new byte[k * n];
            weights.get(0, w);
            Int8LutGemm lut = Int8LutGemm.pack(provider, w, k, n, unsigned, bias(p.bias() >= 0 ? bias : null, n),
                    p.inputOffset(), p.weightsOffset(), p.outputOffset(), p.multipliers(), p.shifts(), p.actMin(),
                    p.actMax(), true);
            if (lut == null) {
                return null;
            }
            String name = family + "_lut4_" + Int8GemmKernels.MR + "x" + lut.kernels().nr() + "__" + provider.isa();
            return new FullyConnected(Int8FullyConnected.withKernels(name, lut.kernels(), lut.gemm(), reference, p),
                    lut.packedBytes());
        };
    }

    /** A Java-path CONV_2D on a weight format: the driver's kernel plus the format's byte count. */
    public static final class Conv implements Kernel<ConvParams>, WorkerScratch, PackedWeights {
        private final Int8Conv2D driver;
        private final long bytes;

        Conv(Int8Conv2D driver, long bytes) {
            this.driver = driver;
            this.bytes = bytes;
        }

        @Override
        public String name() {
            return driver.name();
        }

        @Override
        public void run(ConvParams p, ExecutionState s) {
            driver.run(p, s);
        }

        @Override
        public long workerScratchBytes() {
            return driver.workerScratchBytes();
        }

        @Override
        public long packedWeightBytes() {
            return bytes;
        }

        @Override
        public String toString() {
            return name();
        }
    }

    /** A Java-path FULLY_CONNECTED on a weight format. */
    public static final class FullyConnected implements Kernel<QuantParams>, WorkerScratch, PackedWeights {
        private final Int8FullyConnected driver;
        private final long bytes;

        FullyConnected(Int8FullyConnected driver, long bytes) {
            this.driver = driver;
            this.bytes = bytes;
        }

        @Override
        public String name() {
            return driver.name();
        }

        @Override
        public void run(QuantParams p, ExecutionState s) {
            driver.run(p, s);
        }

        @Override
        public long workerScratchBytes() {
            return driver.workerScratchBytes();
        }

        @Override
        public long packedWeightBytes() {
            return bytes;
        }

        @Override
        public String toString() {
            return name();
        }
    }
}
