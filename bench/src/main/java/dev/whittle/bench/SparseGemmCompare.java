package dev.whittle.bench;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * Sparse against dense on the same weights with less noise than a JMH score on a shared
 * machine: builds both {@link SparseGemmBenchmark} states (same shape, pruning and path), warms
 * them, then times {@code rounds} interleaved invokes of each and prints the minimum (and the
 * median ratio). The numbers in kernels/README.md ("Blocked unstructured sparse") come from it.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *   -cp bench/target/benchmarks.jar dev.whittle.bench.SparseGemmCompare \
 *   avx512vnni qu8 random 200 7x7x320x1280:0.8,0.9 fc1x1280x1001:0.8,0.9
 * </pre>
 *
 * Arguments: path ({@code avx2}, {@code avx512vnni}), dtype ({@code qu8}, {@code qs8_qc8w}),
 * pattern ({@code random}, {@code block4}), rounds, then {@code shape:sparsity,...} groups.
 */
public final class SparseGemmCompare {
    private SparseGemmCompare() {
    }

    public static void main(String[] a) {
        String path = a[0];
        String dtype = a[1];
        String pattern = a[2];
        int rounds = Integer.parseInt(a[3]);
        System.out.printf("%-16s %-9s %-5s %-11s %9s %9s %6s %7s %7s %6s  %s%n", "shape", "dtype", "zeros", "path",
                "dense_us", "sparse_us", "ratio", "gmacD", "gmacS", "medR", "sparse kernel");
        for (int i = 4; i < a.length; i++) {
            String[] p = a[i].split(":");
            for (String sp : p[1].split(",")) {
                SparseGemmBenchmark d = make(p[0], dtype, sp, pattern, "dense", path);
                SparseGemmBenchmark s = make(p[0], dtype, sp, pattern, "sparse", path);
                Macs m = new Macs();
                long[] td = new long[rounds];
                long[] ts = new long[rounds];
                for (int w = 0; w < 100; w++) {
                    d.invoke(m);
                    s.invoke(m);
                }
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    d.invoke(m);
                    long t1 = System.nanoTime();
                    s.invoke(m);
                    long t2 = System.nanoTime();
                    td[r] = t1 - t0;
                    ts[r] = t2 - t1;
                }
                Arrays.sort(td);
                Arrays.sort(ts);
                double macs = Arrays.stream(p[0].replace("fc", "").split("x")).mapToDouble(Double::parseDouble)
                        .reduce(1, (x, y) -> x * y);
                System.out.printf("%-16s %-9s %-5s %-11s %9.1f %9.1f %6.2f %7.1f %7.1f %6.2f  %s%n", p[0], dtype, sp,
                        path, td[0] / 1e3, ts[0] / 1e3, (double) td[0] / ts[0], macs / td[0], macs / ts[0],
                        (double) td[rounds / 2] / ts[rounds / 2], s.kernel);
                d.tearDown();
                s.tearDown();
            }
        }
    }

    private static SparseGemmBenchmark make(String shape, String dtype, String sparsity, String pattern,
            String weights, String path) {
        SparseGemmBenchmark b = new SparseGemmBenchmark();
        b.shape = shape;
        b.dtype = dtype;
        b.sparsity = Double.parseDouble(sparsity);
        b.pattern = pattern;
        b.weights = weights;
        b.path = path;
        PrintStream out = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            b.setUp();
        } finally {
            System.setOut(out);
        }
        return b;
    }
}
