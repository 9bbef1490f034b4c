package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.DepthwiseConvKernelPathsTest.Spec;
import dev.whittle.runtime.kernels.DepthwiseConvKernelFactory;
import dev.whittle.runtime.kernels.KernelFamily;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NativeDepthwiseConvC1;
import dev.whittle.runtime.kernels.reference.DepthwiseConvKernels;
import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code q*_dwconv2d_minmax_c1x8__neon} (one input channel, depth multiplier >= 8; issue 6 on Arm)
 * against the reference kernel, bit for bit, on an x86 machine: each node is packed by the
 * production packer ({@link NativeDepthwiseConvC1#create} with isa {@code neon}, symbol not bound),
 * written to a {@code "WDC1"} vector file with the reference's bytes and replayed by a cross-built
 * libwhittle under {@code qemu-aarch64 -cpu max} ({@code cmake/test-aarch64.sh},
 * {@code native/testing/q8_gemm_vectors.cc}). Sweeps, for int8, per-channel int8 and uint8: depth
 * multipliers 8..33 (every overlapping last block), kernels 1x1, 2x2, 3x3, 5x5, 3x1, 1x4, 7x7;
 * strides 1, 2, 3; dilation 2; SAME and VALID; batch 2; person_detect's 96x96 first layer; zero
 * points at both ends; saturating and tiny scales; RELU / RELU6; with and without bias. Runs: the
 * row ranges of 1, 2 and 3 tasks and one call per row. Skipped without the cross compiler or qemu.
 */
class NeonDepthwiseC1VectorsTest {
    private static final int[] TASKS = {1, 2, 3};

    @Test
    void neonEntriesAreRegisteredAndANonNeonCpuCannotRunThem() {
        for (KernelFamily<DepthwiseConvKernelFactory> f : DepthwiseConvKernelPathsTest.FAMILIES) {
            // 16c__neon (with the lane-mapped kernel) and c1x8__neon.
            assertTrue(KernelRegistry.entries(f).stream().filter(e -> e.path() == KernelPath.NEON).count() >= 2,
                    f + ": no c1x8 NEON entry");
            if (!dev.whittle.CpuFeatures.detect().has(dev.whittle.CpuFeatures.Feature.NEON)) {
                assertTrue(KernelRegistry.available(f).stream().noneMatch(e -> e.path() == KernelPath.NEON),
                        f + ": NEON entry available on a CPU without NEON");
            }
        }
    }

    @Test
    void neonC1x8MatchesTheReferenceUnderQemu() throws Exception {
        AArch64Replay.assumeToolchain("NEON c1x8 depthwise kernels");
        Path file = AArch64Replay.vectors("q8_dwconv_c1x8.bin");
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int cases = 0;
        int i = 0;
        int[][] kernels = {{3, 3}, {5, 5}, {1, 1}, {2, 2}, {3, 1}, {1, 4}, {7, 7}};
        for (KernelFamily<DepthwiseConvKernelFactory> family : DepthwiseConvKernelPathsTest.FAMILIES) {
            // person_detect's first layer.
            cases += add(body, family, new Spec(1, 96, 96, 1, 8, 3, 3, 2, 2, 1, 1, true, i % 2 == 0 ? 0 : 3, true,
                    i % 3, 0, 40 + i));
            i++;
            for (int m = 8; m <= 33; m++) {
                int stride = 1 + i % 3;
                int[] k = kernels[i % kernels.length];
                boolean same = i % 3 != 1;
                int h = 7 + i % 6;
                int w = 9 + i % 9;
                int dh = i % 11 == 4 ? 2 : 1;
                int dw = i % 13 == 6 ? 2 : 1;
                if (!same && (h < (k[0] - 1) * dh + 1 || w < (k[1] - 1) * dw + 1)) {
                    same = true;
                }
                cases += add(body, family, new Spec(1 + (i % 5 == 0 ? 1 : 0), h, w, 1, m, k[0], k[1], stride,
                        1 + (i / 3) % 3, dh, dw, same, new int[] {0, 1, 3, 2}[i % 4],
                        i % 5 != 3, i % 3, i % 6 == 5 ? 1 : i % 6 == 4 ? 2 : 0, 7000 + i));
                i++;
            }
            for (int extremes = 0; extremes < 3; extremes++) {
                for (int scale = 0; scale < 3; scale++) {
                    for (boolean same : new boolean[] {true, false}) {
                        cases += add(body, family, new Spec(1, 9, 13, 1, 8 + i % 3, 3, 3, 2, 2, 1, 1, same,
                                i % 2 == 0 ? 0 : 3, i % 2 == 0, extremes, scale, 8000 + i));
                        i++;
                    }
                }
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0x31434457).putInt(1)
                    .putInt(cases).array());
            body.writeTo(out);
        }
        AArch64Replay.replay("NEON c1x8 depthwise kernels", "NeonDepthwiseC1VectorsTest: " + cases + " cases",
                cases, file);
    }

    private static int add(ByteArrayOutputStream out, KernelFamily<DepthwiseConvKernelFactory> family, Spec s) {
        Model model = DepthwiseConvKernelPathsTest.build(family, s);
        CompiledModel ref;
        System.setProperty(KernelPath.PROPERTY, "reference");
        try {
            ref = CompiledModel.compile(model);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
        TensorData in = Differential.randomInput(family == KernelRegistry.QU8_DWCONV2D ? TensorType.UINT8
                : TensorType.INT8, new int[] {s.batch(), s.h(), s.w(), s.c()}, s.seed() + 1);
        byte[] expected = Q8GemmConvTest.run(ref, in, 1);
        DepthwiseConvParams p = (DepthwiseConvParams) ref.nodePrepared(0);
        // One per-axis scale is a per-tensor quantization: the op picks the family of its reference kernel.
        KernelFamily<DepthwiseConvKernelFactory> actual = p.kernel() == DepthwiseConvKernels.QU8
                ? KernelRegistry.QU8_DWCONV2D : p.kernel() == DepthwiseConvKernels.QS8_QC8W
                ? KernelRegistry.QS8_QC8W_DWCONV2D : KernelRegistry.QS8_DWCONV2D;
        int outC = p.multiplier();
        NativeDepthwiseConvC1 k = NativeDepthwiseConvC1.create(actual, "neon", p,
                AArch64Replay.constant(ref, p.filter(), p.kh() * p.kw() * outC),
                p.bias() >= 0 ? AArch64Replay.constant(ref, p.bias(), 4 * outC) : null, false);
        assertNotNull(k, "the c1x8 packer declined " + s);
        assertEquals(actual.name() + "_minmax_c1x8__neon", k.name());
        MemorySegment block = k.block();
        bytes(out, k.name().getBytes(StandardCharsets.UTF_8));
        bytes(out, (actual + " " + s).getBytes(StandardCharsets.UTF_8));
        bytes(out, block.toArray(ValueLayout.JAVA_BYTE));
        u64(out, block.address());
        bytes(out, in.bytes());
        bytes(out, expected);
        u64(out, k.workerScratchBytes());
        int rows = k.rows();
        u32(out, TASKS.length + 1);
        for (int n : TASKS) {
            u32(out, n);
            for (int t = 0; t < n; t++) {
                u32(out, (int) ((long) rows * t / n));
                u32(out, (int) ((long) rows * (t + 1) / n));
            }
        }
        u32(out, rows);
        for (int r = 0; r < rows; r++) {
            u32(out, r);
            u32(out, r + 1);
        }
        return 1;
    }

    private static void bytes(ByteArrayOutputStream out, byte[] b) {
        u32(out, b.length);
        out.writeBytes(b);
    }

    private static void u32(ByteArrayOutputStream out, int v) {
        out.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private static void u64(ByteArrayOutputStream out, long v) {
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }
}
