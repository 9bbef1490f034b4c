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
 * Writes test vectors of the NEON DotProd GEMM kernels ({@code q*_gemm_4x16c4__neondot}) for
 * {@code native/testing/q8_gemm_vectors.cc}, which replays them under qemu on an aarch64 build.
 * Each node is packed here by the production packer ({@link Q8GemmConv#gemm} /
 * {@link Q8GemmFullyConnected#gemm} with {@link Q8Gemm.Isa#NEONDOT}, not bound to a symbol: this
 * library does not export it), so the vectors test the packing and the kernel together.
 *
 * <p>File (little-endian): {@code u32 "WQ8V"}, {@code u32 1}, {@code u32 cases}, then per case
 * the byte strings ({@code u32 length + bytes}) kernel name, label, params block (its pointer
 * fields as Java wrote them: the runner rewrites them), weight panels, channel block, input,
 * expected output; {@code u64} scratch bytes; {@code u32 runs}, per run {@code u32 calls} and
 * per call {@code i32 m0, m1, n0, n1} (the tasks of 1, 2 and 3 threads).
 */
public final class NeonGemmVectors implements AutoCloseable {
    private static final int[] THREADS = {1, 2, 3};

    private final Path file;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int cases;
    // NEON gaps (issue 6): the ISA packed for, and a twin file of the same nodes for the I8MM GEMM.
    private final Q8Gemm.Isa isa;
    private final NeonGemmVectors i8mm;

    public NeonGemmVectors(Path file) {
        this(file, Q8Gemm.Isa.NEONDOT, null);
    }

    /**
     * Vectors of the DotProd GEMM in {@code file} and of the same nodes packed for the I8MM GEMM
     * ({@code q*_gemm_4x16c8__neoni8mm}, {@link Q8Gemm.Isa#NEONI8MM}) in {@code i8mmFile}; each
     * add returns the DotProd kernel's name after checking that the I8MM kernel took the node too.
     */
    public NeonGemmVectors(Path file, Path i8mmFile) {
        this(file, Q8Gemm.Isa.NEONDOT, new NeonGemmVectors(i8mmFile, Q8Gemm.Isa.NEONI8MM, null));
    }

    private NeonGemmVectors(Path file, Q8Gemm.Isa isa, NeonGemmVectors i8mm) {
        this.file = file;
        this.isa = isa;
        this.i8mm = i8mm;
    }

    /** Cases written to the I8MM twin file (0 without one). */
    public int i8mmCases() {
        return i8mm == null ? 0 : i8mm.cases();
    }

    /** The I8MM twin's name for a node the DotProd kernel took: it must take it too. */
    private String twin(String name, String twinName) {
        if (name != null && i8mm != null && !(name.replace(Q8Gemm.Isa.NEONDOT.suffix, Q8Gemm.Isa.NEONI8MM.suffix))
                .equals(twinName)) {
            throw new AssertionError("the I8MM GEMM took " + twinName + " where the DotProd one took " + name);
        }
        return name;
    }

    /** Cases written so far. */
    public int cases() {
        return cases;
    }

    /**
     * Adds a CONV_2D node; returns the kernel name, or null when the NEON kernel declines the
     * node (as its factory would).
     */
    public String conv(KernelFamily<ConvKernelFactory> family, ConvParams p, ByteBuffer filter, ByteBuffer bias,
            byte[] input, byte[] expected, String label) {
        String name = add(Q8GemmConv.gemm(family, isa, p, filter, bias, false), input, expected, label);
        return i8mm == null ? name : twin(name, i8mm.conv(family, p, filter, bias, input, expected, label));
    }

    /** Adds a FULLY_CONNECTED node; as {@link #conv}. */
    public String fullyConnected(KernelFamily<QuantizedFullyConnectedFactory> family, QuantParams p,
            ByteBuffer weights, ByteBuffer bias, byte[] input, byte[] expected, String label) {
        String name = add(Q8GemmFullyConnected.gemm(family, isa, p, weights, bias, false), input, expected, label);
        return i8mm == null ? name
                : twin(name, i8mm.fullyConnected(family, p, weights, bias, input, expected, label));
    }

    private String add(Q8Gemm gemm, byte[] input, byte[] expected, String label) {
        if (gemm == null) {
            return null;
        }
        MemorySegment[] blocks = gemm.blocks();
        bytes(gemm.name().getBytes(StandardCharsets.UTF_8));
        bytes(label.getBytes(StandardCharsets.UTF_8));
        for (MemorySegment b : blocks) {
            bytes(b.toArray(ValueLayout.JAVA_BYTE));
        }
        bytes(input);
        bytes(expected);
        u64(gemm.scratchBytes());
        Q8GemmLayout.Split split = gemm.split();
        u32(THREADS.length);
        for (int threads : THREADS) {
            int tasks = gemm.tasks(threads);
            u32(tasks);
            for (int t = 0; t < tasks; t++) {
                u32(split.m0(threads, t));
                u32(split.m1(threads, t));
                u32(split.n0(threads, t));
                u32(split.n1(threads, t));
            }
        }
        cases++;
        return gemm.name();
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
        if (i8mm != null) {
            i8mm.close();
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(0x56385157).putInt(1)
                    .putInt(cases).array());
            body.writeTo(out);
        }
    }
}
