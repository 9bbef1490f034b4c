package dev.whittle.runtime.kernels;

import dev.whittle.runtime.kernels.reference.ConvParams;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes test vectors of the NEON 16x8 GEMM ({@code qs16_qc8w_*_gemm_4x16c2__neon}) for
 * {@code native/testing/q8_gemm_vectors.cc}: each node packed by the production packer
 * ({@link Qs16NativeConv#create} / {@link Qs16NativeFullyConnected#create} with
 * {@link Qs16Gemm.Isa#NEON}; the library here does not export the kernel, so the GEMM is not
 * bound), its whole params block and its address (the runner relocates the pointers into it),
 * input, expected output, scratch size and the task grids of 1, 2 and 3 threads. File:
 * {@code u32 "WQ16"}, {@code u32 1}, {@code u32 cases}, per case the byte strings name, label,
 * block, {@code u64} block address, input, expected, {@code u64} scratch bytes, {@code u32}
 * runs, per run {@code u32} calls and per call {@code i64 m0, m1, n0, n1}.
 */
public final class NeonQs16Vectors implements AutoCloseable {
    private static final int[] THREADS = {1, 2, 3};

    private final Path file;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int cases;

    public NeonQs16Vectors(Path file) {
        this.file = file;
    }

    public int cases() {
        return cases;
    }

    /** Adds a CONV_2D node; returns the kernel name, or null when the NEON kernel declines it. */
    public String conv(ConvParams p, ByteBuffer filter, ByteBuffer bias, byte[] input, byte[] expected, String label) {
        Qs16NativeConv k = Qs16NativeConv.create(Qs16Gemm.Isa.NEON, p, filter, bias);
        return k == null ? null : add(k.gemm(), input, expected, label);
    }

    /** Adds a FULLY_CONNECTED node; as {@link #conv}. */
    public String fullyConnected(QuantParams p, ByteBuffer weights, ByteBuffer bias, byte[] input, byte[] expected,
            String label) {
        Qs16NativeFullyConnected k = Qs16NativeFullyConnected.create(Qs16Gemm.Isa.NEON, p, weights, bias);
        return k == null ? null : add(k.gemm(), input, expected, label);
    }

    private String add(Qs16Gemm g, byte[] input, byte[] expected, String label) {
        bytes(g.name.getBytes(StandardCharsets.UTF_8));
        bytes(label.getBytes(StandardCharsets.UTF_8));
        bytes(g.block.toArray(ValueLayout.JAVA_BYTE));
        u64(g.block.address());
        bytes(input);
        bytes(expected);
        u64(g.workerScratchBytes());
        u32(THREADS.length);
        for (int threads : THREADS) {
            // The ranges of Qs16Gemm.run (copied: run() computes them per call without allocating).
            long mBlocks = (g.m + g.isa.mr - 1) / g.isa.mr;
            long mSplit = g.rowSplits(threads);
            long nSplit = g.panelSplits(threads);
            int tasks = g.tasks(threads);
            u32(tasks);
            for (int task = 0; task < tasks; task++) {
                long tm = task / nSplit;
                long tn = task % nSplit;
                u64(Math.min(g.m, mBlocks * tm / mSplit * g.isa.mr));
                u64(Math.min(g.m, mBlocks * (tm + 1) / mSplit * g.isa.mr));
                u64(Math.min(g.nPadded, g.panels * tn / nSplit * g.isa.nr));
                u64(Math.min(g.nPadded, g.panels * (tn + 1) / nSplit * g.isa.nr));
            }
        }
        cases++;
        return g.name;
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
            out.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0x36315157).putInt(1)
                    .putInt(cases).array());
            body.writeTo(out);
        }
    }
}
