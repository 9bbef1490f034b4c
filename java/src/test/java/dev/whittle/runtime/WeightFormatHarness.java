package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.runtime.kernels.KernelEntry;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.WeightFormat;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Shared by the tests of the weight-format kernels (2:4, blocked sparse, LUT): weight shapers
 * that prune or cluster the random weights of {@link Q8GemmConvTest#build} and
 * {@link Q8GemmFullyConnectedTest#build}, and the check of one model on every available path
 * of a weight-format family against the dense reference kernel (the oracle).
 */
final class WeightFormatHarness {
    private WeightFormatHarness() {
    }

    /**
     * Rewrites {@code [n][k]} weights in place; {@code zero} is the byte whose real value is 0
     * (the zero point for uint8, 0 for int8), {@code inner} the input-channel run of a row,
     * {@code signed} int8 (values within [-127, 127]) or uint8.
     */
    @FunctionalInterface
    interface Shaper {
        void shape(ByteBuffer w, int n, int k, int inner, int zero, boolean signed, SplittableRandom r);

        /** This shaper, then {@code next}. */
        default Shaper then(Shaper next) {
            return (w, n, k, inner, zero, signed, r) -> {
                shape(w, n, k, inner, zero, signed, r);
                next.shape(w, n, k, inner, zero, signed, r);
            };
        }
    }

    /** 2:4 along the input channels: in each aligned group of 4 (and the tail) at most 2 non-zeros; some groups emptier. */
    static Shaper sparse24() {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int o = 0; o < n; o++) {
                for (int j0 = 0; j0 < k; j0 += inner) {
                    for (int c = 0; c < inner; c += 4) {
                        int len = Math.min(4, inner - c);
                        int keep = r.nextInt(8) == 0 ? r.nextInt(2) : 2;
                        boolean[] kept = new boolean[len];
                        for (int kk = 0; kk < Math.min(keep, len); kk++) {
                            int pick;
                            do {
                                pick = r.nextInt(len);
                            } while (kept[pick]);
                            kept[pick] = true;
                        }
                        for (int i = 0; i < len; i++) {
                            if (!kept[i]) {
                                w.put(o * k + j0 + c + i, (byte) zero);
                            }
                        }
                    }
                }
            }
        };
    }

    /** Each weight zero with probability {@code sparsity} (0..1). */
    static Shaper unstructured(double sparsity) {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int i = 0; i < n * k; i++) {
                if (sparsity >= 1 || r.nextDouble() < sparsity) {
                    w.put(i, (byte) zero);
                }
            }
        };
    }

    /** Aligned 1 x {@code block} runs along each row zeroed with probability {@code sparsity}. */
    static Shaper blocks(double sparsity, int block) {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int o = 0; o < n; o++) {
                for (int j = 0; j < k; j += block) {
                    if (sparsity >= 1 || r.nextDouble() < sparsity) {
                        for (int i = j; i < Math.min(k, j + block); i++) {
                            w.put(o * k + i, (byte) zero);
                        }
                    }
                }
            }
        };
    }

    /** Every {@code every}-th output channel all zero (starting with channel 0). */
    static Shaper zeroRows(int every) {
        return (w, n, k, inner, zero, signed, r) -> {
            for (int o = 0; o < n; o += every) {
                for (int j = 0; j < k; j++) {
                    w.put(o * k + j, (byte) zero);
                }
            }
        };
    }

    /**
     * At most {@code clusters} distinct values (1..256) per layer or per output channel: each
     * weight replaced by one of a random set of values (int8: within [-127, 127]; zeros kept
     * zero, and the zero value counts as one of the set in channels that have zeros).
     */
    static Shaper clustered(int clusters, boolean perChannel) {
        return (w, n, k, inner, zero, signed, r) -> {
            int[] table = null;
            for (int o = 0; o < n; o++) {
                if (table == null || perChannel) {
                    table = values(clusters, zero, signed, r);
                }
                for (int j = 0; j < k; j++) {
                    int i = o * k + j;
                    if ((w.get(i) & 0xff) != zero) {
                        w.put(i, (byte) table[r.nextInt(table.length)]);
                    }
                }
            }
        };
    }

    private static int[] values(int clusters, int zero, boolean signed, SplittableRandom r) {
        int count = Math.max(1, clusters - 1);
        int[] t = new int[count];
        java.util.Set<Integer> used = new java.util.HashSet<>();
        used.add(zero);
        for (int i = 0; i < count; i++) {
            int v;
            do {
                v = signed ? r.nextInt(-127, 128) : r.nextInt(256);
            } while (!used.add(v) && used.size() < (signed ? 255 : 256));
            t[i] = v;
        }
        return t;
    }

    /**
     * Runs {@code model} on the reference path (dense), then with {@code -Dwhittle.weights=format}
     * on every available path of {@code family}, at 1 and 3 threads, and asserts identical
     * outputs; where {@code tag} is non-null, asserts a dispatched kernel name contains it (so
     * the test cannot silently compare the dense kernel with the reference).
     *
     * @return how many (path, threads) runs were compared
     */
    static int check(Model model, KernelFamily<?> family, WeightFormat format, String tag, String label, long seed,
            int extremes) {
        try {
            System.setProperty(KernelPath.PROPERTY, "reference");
            System.setProperty(WeightFormat.PROPERTY, "dense");
            CompiledModel ref = CompiledModel.compile(model);
            TensorData in = Q8GemmConvTest.input(ref, seed + 1, extremes);
            byte[] expected = Q8GemmConvTest.run(ref, in, 1);
            int ran = 0;
            for (KernelEntry<?> e : KernelRegistry.available(family)) {
                if (e.path() == KernelPath.JAVA) {
                    // The Java-path format kernels decline shapes the native ones take (per-channel
                    // tables): their own tests (JavaWeightKernelsTest) check them.
                    continue;
                }
                System.setProperty(KernelPath.PROPERTY, e.path().label());
                System.setProperty(WeightFormat.PROPERTY, format.label());
                CompiledModel fast = CompiledModel.compile(model);
                List<String> kernels = OpProfile.kernelNames(fast);
                if (tag != null) {
                    assertTrue(kernels.stream().anyMatch(k -> k.contains(tag) && k.endsWith("__" + e.path().label())),
                            label + ": expected a " + tag + " kernel on " + e.path().label() + ", dispatched " + kernels
                                    + " because " + OpProfile.kernelChoices(fast));
                }
                for (int threads : new int[] {1, 3}) {
                    assertArrayEquals(expected, Q8GemmConvTest.run(fast, in, threads),
                            kernels + " threads " + threads + " differs from the reference on " + label);
                    ran++;
                }
            }
            return ran;
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(WeightFormat.PROPERTY);
        }
    }
}
