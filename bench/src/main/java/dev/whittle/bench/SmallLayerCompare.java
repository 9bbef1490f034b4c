package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.TensorType;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import dev.whittle.runtime.kernels.KernelPath;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * person_detect's layers one by one (single-op int8 models, 1 thread), each path's min of N
 * interleaved invokes in us: {@code java -cp bench/target/benchmarks.jar
 * dev.whittle.bench.SmallLayerCompare [rounds] [paths] [layer prefix]}
 * ({@code -Dlayers=conv_56x56x24x144,dw_28x28x192/1/1} other layers, {@code -Du8=true} uint8). Not JMH: on a loaded shared machine the
 * minimum of many short interleaved invokes is the stable number (the per-layer times are 1-20 us).
 */
public final class SmallLayerCompare {
    private SmallLayerCompare() {
    }

    /** conv: HxWxINxOUT (1x1 stride 1); dw: HxWxC/mult/stride (3x3 SAME). */
    private static final String[] LAYERS = {
        "dw 96x96x1/8/2", "dw 48x48x8/1/1", "conv 48x48x8x16", "dw 48x48x16/1/2", "conv 24x24x16x32",
        "dw 24x24x32/1/1", "conv 24x24x32x32", "dw 24x24x32/1/2", "conv 12x12x32x64", "dw 12x12x64/1/1",
        "conv 12x12x64x64", "dw 12x12x64/1/2", "conv 6x6x64x128", "dw 6x6x128/1/1", "conv 6x6x128x128",
        "dw 6x6x128/1/2", "conv 3x3x128x256", "dw 3x3x256/1/1", "conv 3x3x256x256",
    };

    /** -Du8=true: uint8 models (the quantized MobileNets' type) instead of int8. */
    private static final boolean U8 = Boolean.getBoolean("u8");

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        String[] paths = (args.length > 1 ? args[1] : "avx2,avx512vnni").split(",");
        System.out.printf("%-22s", "layer");
        for (String p : paths) {
            System.out.printf(" %12s", p + " us");
        }
        System.out.println("   kernels");
        double[] total = new double[paths.length];
        String filter = args.length > 2 ? args[2] : "";
        String[] layers = System.getProperty("layers") != null ? System.getProperty("layers").replace('_', ' ').split(",") : LAYERS;
        for (String layer : layers) {
            if (!layer.startsWith(filter)) {
                continue;
            }
            String[] parts = layer.split(" ");
            List<ExecutionContext> ctx = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (String path : paths) {
                CompiledModel m = compile(model(parts[0], parts[1]), path);
                names.add(OpProfile.kernelNames(m).get(0));
                ExecutionContext c = m.newContext(1);
                int[] shape = inputShape(parts[1]);
                int n = 1;
                for (int d : shape) {
                    n *= d;
                }
                byte[] x = new byte[n];
                new SplittableRandom(3).nextBytes(x);
                c.setInput(0, new TensorData(U8 ? TensorType.UINT8 : TensorType.INT8, shape, ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
                ctx.add(c);
            }
            long[] best = new long[paths.length];
            java.util.Arrays.fill(best, Long.MAX_VALUE);
            for (int r = 0; r < rounds; r++) {
                for (int i = 0; i < paths.length; i++) {
                    long t0 = System.nanoTime();
                    ctx.get(i).invoke();
                    long t = System.nanoTime() - t0;
                    if (r > rounds / 10) {
                        best[i] = Math.min(best[i], t);
                    }
                }
            }
            System.out.printf("%-22s", layer);
            for (int i = 0; i < paths.length; i++) {
                System.out.printf(" %12.2f", best[i] / 1000.0);
                total[i] += best[i] / 1000.0;
                ctx.get(i).close();
            }
            System.out.println("   " + String.join(" ", names));
        }
        System.out.printf("%-22s", "total");
        for (double t : total) {
            System.out.printf(" %12.2f", t);
        }
        System.out.println();
    }

    /**
     * A path label, optionally with system properties set while compiling (so variants of one
     * path run interleaved in one process): {@code avx2:whittle.dwconv.avx2rows2=false}.
     */
    private static CompiledModel compile(Model model, String path) {
        String[] parts = path.split(":");
        System.setProperty(KernelPath.PROPERTY, parts[0]);
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            System.setProperty(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        try {
            return CompiledModel.compile(model);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            for (int i = 1; i < parts.length; i++) {
                System.clearProperty(parts[i].split("=", 2)[0]);
            }
        }
    }

    private static int[] inputShape(String shape) {
        String[] s = shape.split("/")[0].split("x");
        return new int[] {1, Integer.parseInt(s[0]), Integer.parseInt(s[1]), Integer.parseInt(s[2])};
    }

    private static Model model(String kind, String shape) {
        if (kind.equals("conv")) {
            String[] s = shape.split("x");
            return Int8GemmBenchmark.model(Integer.parseInt(s[0]), Integer.parseInt(s[1]), Integer.parseInt(s[2]),
                    Integer.parseInt(s[3]), U8);
        }
        String[] a = shape.split("/");
        String[] s = a[0].split("x");
        return DepthwiseConvBenchmark.model(Integer.parseInt(s[0]), Integer.parseInt(s[1]), Integer.parseInt(s[2]),
                Integer.parseInt(a[1]), Integer.parseInt(a[2]), U8);
    }
}
