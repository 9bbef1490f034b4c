package dev.whittle.runtime;

import dev.whittle.TensorData;
import dev.whittle.internal.nativelib.NativeLibrary;
import dev.whittle.internal.vectorization.Int16AddLoops.Int16AddParams;
import dev.whittle.model.BuiltinOperator;
import dev.whittle.model.BuiltinOptions;
import dev.whittle.model.Model;
import dev.whittle.model.ModelBuilder;
import dev.whittle.model.ModelBuilder.TensorSpec;
import dev.whittle.model.Quantization;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.KernelRegistry;
import dev.whittle.runtime.kernels.NativeKernels;
import dev.whittle.runtime.kernels.elementwise.ElementwiseFamilies;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the native ADD/SUB kernel tests ({@link Q8AddNativeTest}, {@link Qs16AddNativeTest}) share:
 * the kernels' C signature and params block (whittle/qs16_binary.h), the native paths of
 * {@link ElementwiseFamilies#QUANTIZED_BINARY} this CPU runs, single-node ADD/SUB models, and the
 * node check on every path (identical to the reference path on 1 and 3 threads, the dispatched
 * kernel's name asserted).
 */
final class QuantizedAddNativeHarness {
    private static final FunctionDescriptor SIGNATURE = FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG);

    private QuantizedAddNativeHarness() {
    }

    /** {@code whittle_NAME}: (params, a, a_step, b, b_step, out, n), all passed as longs. */
    static MethodHandle handle(String name) {
        return NativeLibrary.get().downcall("whittle_" + name, SIGNATURE).orElseThrow();
    }

    /** The params block of q (whittle_qs16_add_params: 12 ints) in arena. */
    static MemorySegment params(Arena arena, Int16AddParams q) {
        MemorySegment p = arena.allocate(48, 64);
        int[] f = {q.leftShift(), q.aOffset(), q.aMultiplier(), q.aExp(), q.bOffset(), q.bMultiplier(), q.bExp(),
            q.outMultiplier(), q.outExp(), q.outOffset(), q.min(), q.max()};
        for (int i = 0; i < f.length; i++) {
            p.setAtIndex(ValueLayout.JAVA_INT, i, f[i]);
        }
        return p;
    }

    /**
     * The native paths of the family this CPU runs, each once, as {label, kernel-name suffix}.
     * Where libwhittle has {@code avx2Symbol} and the CPU runs AVX2, the avx2 path must be there
     * (else the tests are vacuous).
     */
    static List<String[]> nativePaths(String avx2Suffix, String avx512Suffix, String avx2Symbol) {
        List<String[]> out = new ArrayList<>();
        for (var e : KernelRegistry.available(ElementwiseFamilies.QUANTIZED_BINARY)) {
            if (e.path() == KernelPath.AVX2 && out.stream().noneMatch(s -> s[0].equals("avx2"))) {
                out.add(new String[] {"avx2", avx2Suffix});
            } else if (e.path() == KernelPath.AVX512VNNI && out.stream().noneMatch(s -> s[0].equals("avx512vnni"))) {
                out.add(new String[] {"avx512vnni", avx512Suffix});
            }
        }
        if (NativeKernels.has(avx2Symbol) && KernelPath.AVX2.supportedBy(dev.whittle.CpuFeatures.detect())) {
            assertTrue(out.stream().anyMatch(s -> s[0].equals("avx2")), "no avx2 path");
        }
        return out;
    }

    /** x OP y (y a constant when constB is given) with a fused activation; INT16 with pot_scale_int16 false. */
    static Model model(BuiltinOperator op, TensorType type, int[] sa, int[] sb, double scaleA, int zpA,
            double scaleB, int zpB, double scaleO, int zpO, int act, TensorData constB) {
        ModelBuilder b = new ModelBuilder(op.name().toLowerCase());
        int x = b.input("x", type, Quantization.perTensor(scaleA, zpA), sa);
        int y = constB == null ? b.input("y", type, Quantization.perTensor(scaleB, zpB), sb)
                : b.constant("y", type, Quantization.perTensor(scaleB, zpB), constB.data(), sb);
        int[] so = ElementwiseOpsTest.broadcastShape(sa, sb);
        BuiltinOptions o = BuiltinOptions.of(op == BuiltinOperator.ADD ? "AddOptions" : "SubOptions")
                .set("fused_activation_function", act);
        if (type == TensorType.INT16) {
            o = o.set("pot_scale_int16", false);
        }
        b.output(b.op(op, 1, o, new int[] {x, y}, TensorSpec.quantized("z", type,
                Quantization.perTensor(scaleO, zpO), so))[0]);
        return b.build();
    }

    /**
     * m on every path in paths identical to want (the reference path's output) on 1 and 3 threads,
     * dispatched to {@code kernel + suffix}; returns the number of paths checked.
     */
    static int checkOnPaths(Model m, List<TensorData> in, byte[] want, List<String[]> paths, String kernel,
            String label) {
        int checked = 0;
        for (String[] path : paths) {
            String at = label + " on " + path[0];
            List<String> kernels = new ArrayList<>();
            assertArrayEquals(want, FastKernelHarness.run(m, in, path[0], 1, kernels), at + " 1 thread");
            assertArrayEquals(want, FastKernelHarness.run(m, in, path[0], 3, null), at + " 3 threads");
            assertEquals(kernel + path[1], kernels.get(0), at);
            checked++;
        }
        return checked;
    }
}
