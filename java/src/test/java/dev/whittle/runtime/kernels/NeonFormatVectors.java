package dev.whittle.runtime.kernels;

import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes test vectors of the NEON weight-format kernels (issue 9: {@code *_lut4_4x16c4__neondot})
 * for {@code native/testing/q8_gemm_vectors.cc}, which replays them under qemu on an aarch64
 * build. Each node is packed here by the production packer ({@link Q8LutGemm#create} with the NEON
 * layout, as {@link Q8LutGemm#convFactory} / {@link Q8LutGemm#fcFactory} do on NEON, not bound to
 * a symbol: this x86 library does not export it), so the vectors test the packing and the kernel
 * together.
 *
 * <p>File (little-endian): {@code u32 "WFMV"}, {@code u32 1}, {@code u32 cases}, then per case
 * the byte strings ({@code u32 length + bytes}) kernel name and label; {@code u32 blocks}, per
 * block {@code u64} the address Java gave it and its bytes (block 0: the params block; the runner
 * points every 8-byte field of it that held an address inside a block at its own copy); input,
 * expected output; {@code u64} scratch bytes; {@code u32 runs}, per run {@code u32 calls} and per
 * call {@code i32 m0, m1, n0, n1} (the tasks of 1, 2 and 3 threads).
 */
public final class NeonFormatVectors implements AutoCloseable {
    private static final int[] THREADS = {1, 2, 3};

    private final Path file;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int cases;

    public NeonFormatVectors(Path file) {
        this.file = file;
    }

    private long lastLutBytes;
    private int lastLutTableFormat;

    /** The resident bytes (indices, tables, per-channel constants) of the last LUT node added. */
    public long lastLutBytes() {
        return lastLutBytes;
    }

    /** The params {@code table_format} of the last LUT node added (0: 16-byte tables, 2: 12-byte). */
    public int lastLutTableFormat() {
        return lastLutTableFormat;
    }

    private String lut(Q8LutGemm g, byte[] input, byte[] expected, String label) {
        if (g == null) {
            return null;
        }
        MemorySegment[] b = g.blocks();
        lastLutBytes = 0;
        for (int i = 1; i < b.length; i++) {
            lastLutBytes += b[i] == null ? 0 : b[i].byteSize();
        }
        lastLutTableFormat = b[0].get(ValueLayout.JAVA_INT, 292);
        return add(g.name(), b, g.split(), g::tasks, g.scratchBytes(), input, expected, label);
    }

    /**
     * The resident weight bytes (indices and tables, {@link Q8LutGemm#weightBytes}) of a CONV_2D
     * node packed for the NEON LUT kernels, or -1 where they decline it.
     */
    public static long lutConvBytes(KernelFamily<ConvKernelFactory> dense, ConvParams p, ByteBuffer filter,
            ByteBuffer bias) {
        if (p.groups() != 1 || p.filterInC() != p.inC() || (p.bias() >= 0 && bias == null)) {
            return -1;
        }
        Q8LutGemm g = Q8LutGemm.create(dense.name(), Q8LutGemm.Layout.PANEL_NEON, Q8Gemm.Spec.ofConv(dense, p),
                filter, p.bias() >= 0 ? bias : null, stats(dense, p, filter), false);
        return g == null ? -1 : g.weightBytes();
    }

    /** As {@link #lutConvBytes}, FULLY_CONNECTED. */
    public static long lutFullyConnectedBytes(KernelFamily<QuantizedFullyConnectedFactory> dense, QuantParams p,
            ByteBuffer weights, ByteBuffer bias) {
        if (p.biasIs64() || (p.bias() >= 0 && bias == null)) {
            return -1;
        }
        Q8LutGemm g = Q8LutGemm.create(dense.name(), Q8LutGemm.Layout.PANEL_NEON,
                Q8Gemm.Spec.ofFullyConnected(dense, p), weights, p.bias() >= 0 ? bias : null,
                stats(dense, p, weights), false);
        return g == null ? -1 : g.weightBytes();
    }

    /** Cases written so far. */
    public int cases() {
        return cases;
    }

    /** The WeightStats the op computes for a CONV_2D node (WeightKernels.conv). */
    private static WeightStats stats(KernelFamily<ConvKernelFactory> dense, ConvParams p, ByteBuffer filter) {
        return WeightStats.of(filter, p.outC(), p.kh() * p.kw() * p.filterInC(), p.filterInC(),
                dense != KernelRegistry.QU8_CONV2D, dense == KernelRegistry.QU8_CONV2D ? p.filterOffset() : 0);
    }

    private static WeightStats stats(KernelFamily<QuantizedFullyConnectedFactory> dense, QuantParams p,
            ByteBuffer weights) {
        return WeightStats.of(weights, p.outFeatures(), p.inFeatures(), p.inFeatures(),
                dense != KernelRegistry.QU8_FULLY_CONNECTED, p.weightsOffset());
    }

    /**
     * Adds a LUT CONV_2D node packed for {@code lut4_4x16c4__neondot}; returns the kernel name, or
     * null when the kernel declines the node (as its factory would).
     */
    public String lutConv(KernelFamily<ConvKernelFactory> dense, ConvParams p, ByteBuffer filter, ByteBuffer bias,
            byte[] input, byte[] expected, String label) {
        if (p.groups() != 1 || p.filterInC() != p.inC() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        Q8LutGemm g = Q8LutGemm.create(dense.name(), Q8LutGemm.Layout.PANEL_NEON, Q8Gemm.Spec.ofConv(dense, p),
                filter, p.bias() >= 0 ? bias : null, stats(dense, p, filter), false);
        return lut(g, input, expected, label);
    }

    /** Adds a LUT FULLY_CONNECTED node; as {@link #lutConv}. */
    public String lutFullyConnected(KernelFamily<QuantizedFullyConnectedFactory> dense, QuantParams p,
            ByteBuffer weights, ByteBuffer bias, byte[] input, byte[] expected, String label) {
        if (p.biasIs64() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        Q8LutGemm g = Q8LutGemm.create(dense.name(), Q8LutGemm.Layout.PANEL_NEON,
                Q8Gemm.Spec.ofFullyConnected(dense, p), weights, p.bias() >= 0 ? bias : null,
                stats(dense, p, weights), false);
        return lut(g, input, expected, label);
    }

    /**
     * Adds a blocked-sparse CONV_2D node packed for {@code sparse_64x1c4__neondot} (as
     * {@link Q8SparseConv#create} with {@code Isa.NEONDOT} under {@code --kernels sparse});
     * returns the kernel name, or null when the kernel declines the node.
     */
    public String sparseConv(KernelFamily<ConvKernelFactory> dense, ConvParams p, ByteBuffer filter, ByteBuffer bias,
            byte[] input, byte[] expected, String label) {
        if (p.groups() != 1 || p.filterInC() != p.inC() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        Q8SparseGemm g = Q8SparseGemm.create(dense.name() + "_" + Q8SparseGemm.NEON_SUFFIX, Q8SparseGemm.Isa.NEONDOT,
                Q8Gemm.Spec.ofConv(dense, p), filter, p.bias() >= 0 ? bias : null, false);
        return g == null ? null : add(g.name(), g.blocks(), g.split(), g::tasks, g.scratchBytes(), input, expected,
                label);
    }

    /** Adds a blocked-sparse FULLY_CONNECTED node; as {@link #sparseConv}. */
    public String sparseFullyConnected(KernelFamily<QuantizedFullyConnectedFactory> dense, QuantParams p,
            ByteBuffer weights, ByteBuffer bias, byte[] input, byte[] expected, String label) {
        if (p.biasIs64() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        Q8SparseGemm g = Q8SparseGemm.create(dense.name() + "_" + Q8SparseGemm.NEON_SUFFIX, Q8SparseGemm.Isa.NEONDOT,
                Q8Gemm.Spec.ofFullyConnected(dense, p), weights, p.bias() >= 0 ? bias : null, false);
        return g == null ? null : add(g.name(), g.blocks(), g.split(), g::tasks, g.scratchBytes(), input, expected,
                label);
    }

    /**
     * Adds a 2:4 CONV_2D node packed for {@code sp24_16x1c8__neondot} (as {@link Q8Sp24Conv#create}
     * on NEON); returns the kernel name, or null when the kernel declines the node (not 2:4, or a
     * uint8 kept {@code w - zero} of 255).
     */
    public String sp24Conv(KernelFamily<ConvKernelFactory> dense, ConvParams p, ByteBuffer filter, ByteBuffer bias,
            byte[] input, byte[] expected, String label) {
        if (p.groups() != 1 || p.filterInC() != p.inC() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        Q8Sp24Gemm g = Q8Sp24Gemm.create(dense.name() + "_" + Q8Sp24Gemm.Isa.NEONDOT.suffix, Q8Sp24Gemm.Isa.NEONDOT,
                Q8Gemm.Spec.ofConv(dense, p), filter, p.bias() >= 0 ? bias : null, false);
        return g == null ? null : add(g.name(), g.blocks(), g.split(), g::tasks, g.scratchBytes(), input, expected,
                label);
    }

    /** Adds a 2:4 FULLY_CONNECTED node; as {@link #sp24Conv}. */
    public String sp24FullyConnected(KernelFamily<QuantizedFullyConnectedFactory> dense, QuantParams p,
            ByteBuffer weights, ByteBuffer bias, byte[] input, byte[] expected, String label) {
        if (p.biasIs64() || (p.bias() >= 0 && bias == null)) {
            return null;
        }
        Q8Sp24Gemm g = Q8Sp24Gemm.create(dense.name() + "_" + Q8Sp24Gemm.Isa.NEONDOT.suffix, Q8Sp24Gemm.Isa.NEONDOT,
                Q8Gemm.Spec.ofFullyConnected(dense, p), weights, p.bias() >= 0 ? bias : null, false);
        return g == null ? null : add(g.name(), g.blocks(), g.split(), g::tasks, g.scratchBytes(), input, expected,
                label);
    }

    /**
     * The kernel the registry's NEON entry of {@code format} builds for a CONV_2D node, through the
     * production factory (the one an Arm JVM dispatches to, with the same {@link WeightStats} and
     * cost model): its name where the library exports it (an aarch64 JVM), else the symbol the
     * factory tried to bind, read from the library's "does not export" error (this x86 library
     * has no NEON symbol); null where the factory declines the node.
     */
    public static String neonFactoryKernel(KernelFamily<WeightFormatConvFactory> format,
            KernelFamily<ConvKernelFactory> dense, ConvParams p, ByteBuffer filter, ByteBuffer bias) {
        KernelEntry<WeightFormatConvFactory> e = KernelRegistry.entries(format).stream()
                .filter(x -> x.path() == KernelPath.NEON).findFirst().orElseThrow();
        try {
            var k = e.factory().create(dense, p, filter, bias, stats(dense, p, filter));
            return k == null ? null : k.name();
        } catch (IllegalStateException ex) {
            String m = String.valueOf(ex.getMessage());
            int at = m.indexOf("does not export whittle_");
            if (at < 0) {
                throw ex;
            }
            return m.substring(at + "does not export whittle_".length()).split("[: ]")[0];
        }
    }

    /** As {@link #neonFactoryKernel(KernelFamily, KernelFamily, ConvParams, ByteBuffer, ByteBuffer)}, FULLY_CONNECTED. */
    public static String neonFactoryKernel(KernelFamily<WeightFormatFcFactory> format,
            KernelFamily<QuantizedFullyConnectedFactory> dense, QuantParams p, ByteBuffer weights, ByteBuffer bias) {
        KernelEntry<WeightFormatFcFactory> e = KernelRegistry.entries(format).stream()
                .filter(x -> x.path() == KernelPath.NEON).findFirst().orElseThrow();
        try {
            var k = e.factory().create(dense, p, weights, bias, stats(dense, p, weights));
            return k == null ? null : k.name();
        } catch (IllegalStateException ex) {
            String m = String.valueOf(ex.getMessage());
            int at = m.indexOf("does not export whittle_");
            if (at < 0) {
                throw ex;
            }
            return m.substring(at + "does not export whittle_".length()).split("[: ]")[0];
        }
    }

    private String add(String name, MemorySegment[] blocks, Q8GemmLayout.Split split,
            java.util.function.IntUnaryOperator tasksOf, long scratchBytes, byte[] input, byte[] expected,
            String label) {
        bytes(name.getBytes(StandardCharsets.UTF_8));
        bytes(label.getBytes(StandardCharsets.UTF_8));
        u32(blocks.length);
        for (MemorySegment b : blocks) {
            u64(b.address());
            bytes(b.toArray(ValueLayout.JAVA_BYTE));
        }
        bytes(input);
        bytes(expected);
        u64(scratchBytes);
        u32(THREADS.length);
        for (int threads : THREADS) {
            int tasks = tasksOf.applyAsInt(threads);
            u32(tasks);
            for (int t = 0; t < tasks; t++) {
                u32(split.m0(threads, t));
                u32(split.m1(threads, t));
                u32(split.n0(threads, t));
                u32(split.n1(threads, t));
            }
        }
        cases++;
        return name;
    }

    private void bytes(byte[] b) {
        u32(b.length);
        body.writeBytes(b);
    }

    private void u32(int v) {
        body.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    private void u64(long v) {
        body.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    @Override
    public void close() throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0x564d4657).putInt(1)
                    .putInt(cases).array());
            body.writeTo(out);
        }
    }
}
