package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelPath;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a model on the reference kernels and on the default (fastest) path with 1 and 3
 * threads, compares the outputs byte for byte, and returns the kernel names the fast compile
 * chose, so a test asserts its kernel was dispatched (not the reference against itself).
 */
final class FastKernelHarness {
    private FastKernelHarness() {
    }

    /** Output 0's bytes of {@code m} on {@code inputs}, compiled with {@code -Dwhittle.kernels=path}. */
    static byte[] run(Model m, List<TensorData> inputs, String path, int threads, List<String> kernelsOut) {
        if (path == null) {
            System.clearProperty(KernelPath.PROPERTY);
        } else {
            System.setProperty(KernelPath.PROPERTY, path);
        }
        try {
            CompiledModel c = CompiledModel.compile(m);
            if (kernelsOut != null) {
                kernelsOut.addAll(OpProfile.kernelNames(c));
            }
            try (ExecutionContext ctx = c.newContext(threads)) {
                for (int i = 0; i < inputs.size(); i++) {
                    ctx.setInput(i, inputs.get(i));
                }
                ctx.invoke();
                byte[] first = ctx.output(0).bytes();
                ctx.invoke();
                assertArrayEquals(first, ctx.output(0).bytes(), "second invoke differs");
                return first;
            }
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
        }
    }

    /**
     * Compares the fast path (threads 1 and 3) with the reference; returns the fast compile's
     * kernel names.
     */
    static List<String> check(String label, Model m, List<TensorData> inputs) {
        byte[] expected = run(m, inputs, "reference", 1, null);
        List<String> kernels = new java.util.ArrayList<>();
        byte[] one = run(m, inputs, null, 1, kernels);
        assertArrayEquals(expected, one, label + " (1 thread, " + kernels + ") differs from the reference");
        byte[] three = run(m, inputs, null, 3, null);
        assertArrayEquals(expected, three, label + " (3 threads, " + kernels + ") differs from the reference");
        return kernels;
    }

    /**
     * For every available path of {@code family}: compiles with {@code -Dwhittle.kernels=} that
     * path, compares 1 and 3 threads with the reference, and asserts the first node's kernel is
     * {@code prefix + "__" + path} (or, where {@code fallbackOk}, the reference). Returns how
     * many paths ran a kernel of their own.
     */
    static int checkPaths(String label, Model m, List<TensorData> inputs,
            dev.whittle.runtime.kernels.KernelFamily<?> family, String prefix, boolean fallbackOk) {
        return checkPaths(label, m, inputs, family, prefix, fallbackOk, false);
    }

    /** As above; {@code nativeDeclines}: the native paths' factories return null for this node. */
    static int checkPaths(String label, Model m, List<TensorData> inputs,
            dev.whittle.runtime.kernels.KernelFamily<?> family, String prefix, boolean fallbackOk,
            boolean nativeDeclines) {
        byte[] expected = run(m, inputs, "reference", 1, null);
        int own = 0;
        for (var e : dev.whittle.runtime.kernels.KernelRegistry.available(family)) {
            String path = e.path().label();
            if (path.equals("reference")) {
                continue;
            }
            List<String> kernels = new java.util.ArrayList<>();
            byte[] one = run(m, inputs, path, 1, kernels);
            assertArrayEquals(expected, one, label + " (" + kernels + ", 1 thread) differs from the reference");
            byte[] three = run(m, inputs, path, 3, null);
            assertArrayEquals(expected, three, label + " (" + kernels + ", 3 threads) differs from the reference");
            String k = kernels.get(0);
            if (!(fallbackOk && k.endsWith("__reference"))) {
                String want = prefix + "__" + path;
                if (nativeDeclines && e.path().isNative()) {
                    // a forced ISA keeps the Java kernel of a node its native kernel declines
                    assertTrue(k.equals(prefix + "__reference") || k.equals(prefix + "__java"),
                            label + ": native path " + path + " declines, got " + k);
                    continue;
                }
                assertEquals(want, k, label + ": dispatched kernel on path " + path);
                own++;
            }
        }
        return own;
    }

    /** As {@link #check}, asserting the fast compile's first node ran {@code kernel}. */
    static void checkKernel(String label, Model m, List<TensorData> inputs, String kernel) {
        List<String> kernels = check(label, m, inputs);
        assertEquals(kernel, kernels.get(0), label + ": dispatched kernel");
    }

    /** Random values over the type's whole range (floats in [lo, hi]); every {@code extremeEvery}-th at an end. */
    static TensorData random(TensorType type, int[] shape, long seed, int extremeEvery) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        ByteBuffer b = ByteBuffer.allocate(n * type.bits() / 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            boolean ext = extremeEvery > 0 && i % extremeEvery == 0;
            boolean hiEnd = (i / Math.max(1, extremeEvery)) % 2 == 0;
            switch (type) {
                case INT8, UINT8 -> b.put(i, (byte) (ext ? (type == TensorType.INT8 ? (hiEnd ? 127 : -128)
                        : (hiEnd ? 255 : 0)) : r.nextInt(256)));
                case INT16 -> b.putShort(i * 2, (short) (ext ? (hiEnd ? 32767 : -32768) : r.nextInt(65536)));
                case FLOAT32 -> b.putFloat(i * 4, ext ? (hiEnd ? 3.0f : -3.0f) : (float) (r.nextDouble() * 4 - 2));
                case INT32 -> b.putInt(i * 4, r.nextInt());
                default -> throw new IllegalArgumentException("no random " + type);
            }
        }
        return new TensorData(type, shape, b);
    }
}
