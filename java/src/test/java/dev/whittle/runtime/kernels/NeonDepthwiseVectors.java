package dev.whittle.runtime.kernels;

import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

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
 * Writes test vectors of the NEON depthwise kernels added for issue 6's NEON gaps, for
 * {@code native/testing/q8_gemm_vectors.cc}, each node packed by the production packer without
 * binding the symbol (the library here is x86):
 * <ul>
 * <li>{@code q*_dwconv2d_minmax_64l__neon} (lane-mapped: depth multiplier above 1, fewer than
 * {@value NativeDepthwiseConv#LANES_BELOW_CHANNELS} channels), packed by
 * {@link NativeDepthwiseConv#createLanes}: file {@code "WDWL"}, the {@code "WDWV"} layout of
 * {@link NeonDwconvVectors} (block of offsets only, rows per call);</li>
 * <li>{@code qs16_qc8w_dwconv2d_16c__neon}, packed by {@link Qs16NativeDepthwiseConv#create}:
 * file {@code "WQDW"}: {@code u32 "WQDW"}, {@code u32 1}, {@code u32 cases}, per case the byte
 * strings name, label, block, {@code u64} block address (the runner relocates the five pointer
 * fields into its copy), input, expected, {@code u32} runs, per run {@code u32} calls and per
 * call {@code i64 r0, r1}.</li>
 * </ul>
 * Runs: the row ranges of 1, 2 and 3 tasks (as the kernels' {@code run}) and one call per row.
 */
public final class NeonDepthwiseVectors implements AutoCloseable {
    /** The lane-mapped kernels' tile and ISA. */
    public static final String LANES_TILE_ISA = "64l__neon";
    private static final int[] TASKS = {1, 2, 3};

    private final Path lanesFile;
    private final Path qs16File;
    private final ByteArrayOutputStream lanes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream qs16 = new ByteArrayOutputStream();
    private int lanesCases;
    private int qs16Cases;

    public NeonDepthwiseVectors(Path lanesFile, Path qs16File) {
        this.lanesFile = lanesFile;
        this.qs16File = qs16File;
    }

    public int lanesCases() {
        return lanesCases;
    }

    public int qs16Cases() {
        return qs16Cases;
    }

    /**
     * The kernel the NEON path dispatches for an int8/uint8 node (as
     * {@link NativeDepthwiseConv#create} with tile {@code 16c__neon}): the lane-mapped one for a
     * depth multiplier above 1 or few channels.
     */
    public static boolean neonTakesLanes(DepthwiseConvParams p) {
        return p.multiplier() != 1 || p.inC() < NativeDepthwiseConv.LANES_BELOW_CHANNELS;
    }

    /** Adds an int8/uint8 node for the lane-mapped kernel; returns its name, or null when it declines. */
    public String addLanes(KernelFamily<?> family, DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias,
            byte[] input, byte[] expected, String label) {
        NativeDepthwiseConv k = NativeDepthwiseConv.createLanes(family, "16c__neon", p, filter, bias, false);
        if (k == null) {
            return null;
        }
        ByteArrayOutputStream out = lanes;
        bytes(out, k.name().getBytes(StandardCharsets.UTF_8));
        bytes(out, label.getBytes(StandardCharsets.UTF_8));
        bytes(out, k.block().toArray(ValueLayout.JAVA_BYTE));
        bytes(out, input);
        bytes(out, expected);
        int rows = p.batches() * p.outH();
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
        lanesCases++;
        return k.name();
    }

    /** Adds a 16x8 node; returns the kernel name, or null when the kernel declines it. */
    public String addQs16(DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias, byte[] input, byte[] expected,
            String label) {
        Qs16NativeDepthwiseConv k = Qs16NativeDepthwiseConv.create(Qs16NativeDepthwiseConv.NEON_NAME, p, filter, bias,
                false);
        if (k == null) {
            return null;
        }
        ByteArrayOutputStream out = qs16;
        MemorySegment block = k.block();
        bytes(out, k.name().getBytes(StandardCharsets.UTF_8));
        bytes(out, label.getBytes(StandardCharsets.UTF_8));
        bytes(out, block.toArray(ValueLayout.JAVA_BYTE));
        u64(out, block.address());
        bytes(out, input);
        bytes(out, expected);
        long rows = (long) p.batches() * p.outH();
        u32(out, TASKS.length + 1);
        for (int threads : TASKS) {
            // Row ranges as Qs16NativeDepthwiseConv.run cuts them (task t: [rows * t / tasks, rows * (t + 1) / tasks)),
            // 1, 2 and 3 tasks (the production count, 4 per thread, applies only above its MAC threshold).
            int tasks = threads == 1 ? 1 : (int) Math.min(rows, threads);
            u32(out, tasks);
            for (int t = 0; t < tasks; t++) {
                u64(out, rows * t / tasks);
                u64(out, rows * (t + 1) / tasks);
            }
        }
        u32(out, (int) rows);
        for (long r = 0; r < rows; r++) {
            u64(out, r);
            u64(out, r + 1);
        }
        qs16Cases++;
        return k.name();
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

    @Override
    public void close() throws IOException {
        write(lanesFile, 0x4c574457, lanesCases, lanes);
        write(qs16File, 0x57445157, qs16Cases, qs16);
    }

    private static void write(Path file, int magic, int cases, ByteArrayOutputStream body) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(magic).putInt(1).putInt(cases)
                    .array());
            body.writeTo(out);
        }
    }
}
