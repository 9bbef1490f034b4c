package dev.whittle.bench;

import dev.whittle.TensorData;
import dev.whittle.model.Model;
import dev.whittle.model.io.ModelReader;
import dev.whittle.runtime.CompiledModel;
import dev.whittle.runtime.ExecutionContext;
import dev.whittle.runtime.OpProfile;
import dev.whittle.runtime.kernels.KernelPath;
import dev.whittle.runtime.kernels.WeightFormat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * A whole model on the Java path, dense against a weight format (issue 9, session 14: the panel
 * LUT kernels on clustered MobileNet v2), without JMH, for a shared, noisy machine: both compiled
 * with {@code -Dwhittle.kernels=java} in one process, invoked alternately {@code rounds} times
 * on {@code threads} threads; prints min and median of each and dense / format of the minimums,
 * the resident weight bytes, then per weight-format node the mean time of each (profiled rounds,
 * also alternating). {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar
 * dev.whittle.bench.JavaLutModelBenchmark MODEL [rounds] [format] [threads]}.
 */
public final class JavaLutModelBenchmark {
    private JavaLutModelBenchmark() {
    }

    private static CompiledModel compile(Model m, String weights) {
        try {
            System.setProperty(KernelPath.PROPERTY, "java");
            System.setProperty(WeightFormat.PROPERTY, weights);
            return CompiledModel.compile(m);
        } finally {
            System.clearProperty(KernelPath.PROPERTY);
            System.clearProperty(WeightFormat.PROPERTY);
        }
    }

    public static void main(String[] args) throws Exception {
        Model m = ModelReader.read(Path.of(args[0]));
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 150;
        String format = args.length > 2 ? args[2] : "lut";
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        CompiledModel[] c = {compile(m, "dense"), compile(m, format)};
        ExecutionContext[] ctx = new ExecutionContext[2];
        dev.whittle.model.Tensor in = c[0].tensorInfo(c[0].inputTensorIndex(0));
        byte[] x = new byte[Arrays.stream(in.shape()).reduce(1, (a, b) -> a * b)];
        new SplittableRandom(2).nextBytes(x);
        for (int i = 0; i < 2; i++) {
            ctx[i] = c[i].newContext(threads);
            ctx[i].setInput(0, new TensorData(in.type(), in.shape(), ByteBuffer.wrap(x).order(ByteOrder.LITTLE_ENDIAN)));
        }
        for (int warm = 0; warm < 20; warm++) {
            ctx[0].invoke();
            ctx[1].invoke();
        }
        long[][] t = new long[2][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                ctx[i].invoke();
                t[i][r] = System.nanoTime() - t0;
            }
        }
        OpProfile[] prof = {OpProfile.of(c[0]), OpProfile.of(c[1])};
        for (int r = 0; r < Math.max(10, rounds / 3); r++) {
            ctx[0].invoke(prof[0]);
            ctx[1].invoke(prof[1]);
        }
        for (int i = 0; i < 2; i++) {
            Arrays.sort(t[i]);
        }
        System.out.printf(Locale.ROOT,
                "MODEL %s threads %d | dense min %.2f ms (med %.2f) | %s min %.2f ms (med %.2f) | dense/fmt min %.3f"
                        + " med %.3f | resident bytes dense-java %d %s %d%n",
                args[0], threads, t[0][0] / 1e6, t[0][rounds / 2] / 1e6, format, t[1][0] / 1e6, t[1][rounds / 2] / 1e6,
                (double) t[0][0] / t[1][0], (double) t[0][rounds / 2] / t[1][rounds / 2], c[0].residentWeightBytes(),
                format, c[1].residentWeightBytes());
        List<OpProfile.Entry> d = prof[0].entries();
        List<OpProfile.Entry> f = prof[1].entries();
        List<OpProfile.KernelChoice> kd = OpProfile.kernelChoices(c[0]);
        List<OpProfile.KernelChoice> kf = OpProfile.kernelChoices(c[1]);
        double sumD = 0;
        double sumF = 0;
        for (int i = 0; i < Math.min(d.size(), f.size()); i++) {
            if (!f.get(i).kernel().equals(d.get(i).kernel())) {
                sumD += d.get(i).meanMillis();
                sumF += f.get(i).meanMillis();
                long bd = i < kd.size() ? kd.get(i).weightBytes() : 0;
                long bf = i < kf.size() ? kf.get(i).weightBytes() : 0;
                System.out.printf(Locale.ROOT, "NODE %3d %-45s %8.3f ms | dense %8.3f ms | dense/fmt %.2f | bytes %d vs %d%n",
                        d.get(i).node(), f.get(i).kernel(), f.get(i).meanMillis(), d.get(i).meanMillis(),
                        d.get(i).meanMillis() / f.get(i).meanMillis(), bf, bd);
            }
        }
        System.out.printf(Locale.ROOT, "FORMAT NODES dense %.2f ms, %s %.2f ms, dense/fmt %.3f (profiled means)%n", sumD,
                format, sumF, sumD / sumF);
        ctx[0].close();
        ctx[1].close();
    }
}
