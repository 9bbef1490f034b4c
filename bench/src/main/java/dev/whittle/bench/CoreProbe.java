package dev.whittle.bench;

import java.util.Arrays;
import java.util.concurrent.CyclicBarrier;

/**
 * Does this machine give two threads two whole cores? Per window, one thread runs a fixed
 * compute-bound loop alone, then two threads run it at the same time; the window's ratio is the
 * first thread's time with company over its time alone. On real cores the ratio is about 1.0; on
 * a virtual machine whose two vCPUs the host places on the two hardware threads of one core (or
 * otherwise makes share a core) it is well above (1.3-1.4 measured on the project's 2-vCPU VM in
 * two windows of three), and any 2-thread speed-up measured then is capped accordingly.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.whittle.bench.CoreProbe [--windows 40] [--gap-ms 200]
 * </pre>
 *
 * {@link ThreadScaling} prints {@link #summary(int, int)} before and after its rounds.
 */
public final class CoreProbe {
    /** A window counts as "shared" when two busy threads each run this much slower than one. */
    static final double SHARED_RATIO = 1.15;
    private static final long ITERATIONS = 1_500_000;
    private static volatile long sink;

    private CoreProbe() {
    }

    public static void main(String[] args) throws Exception {
        int windows = 40;
        int gapMs = 200;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--windows" -> windows = Integer.parseInt(args[++i]);
                case "--gap-ms" -> gapMs = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--windows N, --gap-ms MS)");
            }
        }
        double[] ratios = ratios(windows, gapMs);
        StringBuilder all = new StringBuilder("# per window (both busy / alone):");
        for (double r : ratios) {
            all.append(String.format(" %.2f", r));
        }
        System.out.println(all);
        System.out.println(describe(ratios));
    }

    /** Runs {@code windows} windows {@code gapMs} apart and describes them in one line. */
    public static String summary(int windows, int gapMs) throws InterruptedException {
        return describe(ratios(windows, gapMs));
    }

    static String describe(double[] ratios) {
        double[] sorted = ratios.clone();
        Arrays.sort(sorted);
        int shared = 0;
        double sharedSum = 0;
        for (double r : sorted) {
            if (r > SHARED_RATIO) {
                shared++;
                sharedSum += r;
            }
        }
        return String.format("# cores: 2 busy threads each ran >%.2fx slower than 1 alone in %d of %d windows"
                        + "%s (median ratio %.2f); such windows cap a 2-thread speed-up near 2/ratio",
                SHARED_RATIO, shared, sorted.length,
                shared > 0 ? String.format(" (mean %.2fx there)", sharedSum / shared) : "",
                sorted[sorted.length / 2]);
    }

    /** Both-busy over alone time of the first thread, per window. */
    static double[] ratios(int windows, int gapMs) throws InterruptedException {
        CyclicBarrier start = new CyclicBarrier(2);
        CyclicBarrier end = new CyclicBarrier(2);
        Thread partner = Thread.ofPlatform().daemon().name("core-probe").start(() -> {
            try {
                while (true) {
                    start.await();
                    sink = spin(ITERATIONS);
                    end.await();
                }
            } catch (Exception stopped) {
                // interrupted at the end of the probe
            }
        });
        try {
            for (int i = 0; i < 10; i++) {
                sink = spin(ITERATIONS); // compile
            }
            double[] ratios = new double[windows];
            for (int w = 0; w < windows; w++) {
                long t0 = System.nanoTime();
                sink = spin(ITERATIONS);
                long alone = System.nanoTime() - t0;
                start.await();
                t0 = System.nanoTime();
                sink = spin(ITERATIONS);
                long both = System.nanoTime() - t0;
                end.await();
                ratios[w] = (double) both / alone;
                if (gapMs > 0 && w + 1 < windows) {
                    Thread.sleep(gapMs);
                }
            }
            return ratios;
        } catch (java.util.concurrent.BrokenBarrierException e) {
            throw new IllegalStateException("core probe partner stopped", e);
        } finally {
            partner.interrupt();
        }
    }

    /** Eight independent multiply chains: bound by the core's integer multiplier, no memory. */
    static long spin(long n) {
        long a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8;
        for (long i = 0; i < n; i++) {
            a = a * 31 + i;
            b = b * 37 + i;
            c = c * 41 + i;
            d = d * 43 + i;
            e = e * 47 + i;
            f = f * 53 + i;
            g = g * 59 + i;
            h = h * 61 + i;
        }
        return a + b + c + d + e + f + g + h;
    }
}
