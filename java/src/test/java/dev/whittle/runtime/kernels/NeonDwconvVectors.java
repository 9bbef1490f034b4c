package dev.whittle.runtime.kernels;

import dev.whittle.runtime.kernels.reference.DepthwiseConvParams;

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
 * Writes test vectors of the NEON depthwise kernels ({@code q*_dwconv2d_minmax_16c__neon}) for
 * {@code native/testing/q8_gemm_vectors.cc}: each node packed by the production packer
 * ({@link NativeDepthwiseConv#create} with {@code bind = false}), its whole params block (offsets
 * only: nothing to relocate), input, expected output and the row ranges of 1, 2 and 3 tasks
 * and of one call per row. File: {@code u32 "WDWV"}, {@code u32 1}, {@code u32 cases}, per case
 * the byte strings name, label, block, input, expected, then {@code u32 runs}, per run
 * {@code u32 calls} and per call {@code i32 row_begin, row_end}.
 */
public final class NeonDwconvVectors implements AutoCloseable {
    public static final String TILE_ISA = "16c__neon";
    private static final int[] TASKS = {1, 2, 3};

    private final Path file;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int cases;

    public NeonDwconvVectors(Path file) {
        this.file = file;
    }

    public int cases() {
        return cases;
    }

    /** Adds a node; returns the kernel name, or null when the NEON kernel declines it. */
    public String add(KernelFamily<?> family, DepthwiseConvParams p, ByteBuffer filter, ByteBuffer bias, byte[] input,
            byte[] expected, String label) {
        NativeDepthwiseConv k = NativeDepthwiseConv.create(family, TILE_ISA, p, filter, bias, false);
        if (k == null) {
            return null;
        }
        bytes(k.name().getBytes(StandardCharsets.UTF_8));
        bytes(label.getBytes(StandardCharsets.UTF_8));
        bytes(k.block().toArray(ValueLayout.JAVA_BYTE));
        bytes(input);
        bytes(expected);
        int rows = p.batches() * p.outH();
        u32(TASKS.length + 1);
        for (int n : TASKS) {
            // As NativeDepthwiseConv.run: task t takes rows [rows * t / n, rows * (t + 1) / n).
            u32(n);
            for (int t = 0; t < n; t++) {
                u32((int) ((long) rows * t / n));
                u32((int) ((long) rows * (t + 1) / n));
            }
        }
        u32(rows);
        for (int r = 0; r < rows; r++) {
            u32(r);
            u32(r + 1);
        }
        cases++;
        return k.name();
    }

    private void bytes(byte[] b) {
        u32(b.length);
        body.writeBytes(b);
    }

    private void u32(int v) {
        body.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array());
    }

    @Override
    public void close() throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0x56574457).putInt(1)
                    .putInt(cases).array());
            body.writeTo(out);
        }
    }
}
