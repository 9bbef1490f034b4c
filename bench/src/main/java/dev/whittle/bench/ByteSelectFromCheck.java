package dev.whittle.bench;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Whether JDK 25's {@code ByteVector.selectFrom} does a 32-entry byte table lookup correctly and
 * without boxing (intrinsified) on each byte species (issue 9, session 14: the lut5 decode of
 * {@code PanamaInt8LutPanelKernels}): the 256- and 512-bit species with the table in one vector
 * ({@code idx.selectFrom(t)}), the 128-bit species with two ({@code idx.selectFrom(t0, t1)}).
 * Prints, per species, mismatches against a scalar lookup, ns per 1,024 lookups (min of rounds)
 * and bytes allocated per pass. Run with and without {@code -XX:UseAVX=2}:
 * {@code java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar dev.whittle.bench.ByteSelectFromCheck}.
 */
public final class ByteSelectFromCheck {
    private static final int N = 1 << 16;

    private ByteSelectFromCheck() {
    }

    private static long one(VectorSpecies<Byte> s, byte[] idx, byte[] table, byte[] out) {
        int l = s.length();
        ByteVector t0 = ByteVector.fromArray(s, table, 0);
        long t = System.nanoTime();
        if (l >= 32) {
            for (int i = 0; i + l <= idx.length; i += l) {
                ByteVector.fromArray(s, idx, i).selectFrom(t0).intoArray(out, i);
            }
        } else {
            ByteVector t1 = ByteVector.fromArray(s, table, l);
            for (int i = 0; i + l <= idx.length; i += l) {
                ByteVector.fromArray(s, idx, i).selectFrom(t0, t1).intoArray(out, i);
            }
        }
        return System.nanoTime() - t;
    }

    public static void main(String[] args) {
        SplittableRandom r = new SplittableRandom(3);
        byte[] idx = new byte[N];
        for (int i = 0; i < N; i++) {
            idx[i] = (byte) r.nextInt(32);
        }
        byte[] table = new byte[64];
        for (int i = 0; i < 32; i++) {
            table[i] = (byte) r.nextInt(-128, 128);
        }
        com.sun.management.ThreadMXBean mx =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        // one species per JVM (argument: 128, 256 or 512 bits): a method that sees several species
        // is compiled polymorphic and boxes every vector
        int bits = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        for (VectorSpecies<Byte> s : java.util.List.of(bits == 128 ? ByteVector.SPECIES_128
                : bits == 512 ? ByteVector.SPECIES_512 : ByteVector.SPECIES_256)) {
            byte[] out = new byte[N];
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 400; round++) {
                best = Math.min(best, one(s, idx, table, out));
            }
            long before = mx.getThreadAllocatedBytes(Thread.currentThread().threadId());
            one(s, idx, table, out);
            long alloc = mx.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
            int bad = 0;
            for (int i = 0; i < N; i++) {
                bad += out[i] != table[idx[i]] ? 1 : 0;
            }
            System.out.printf(Locale.ROOT, "SELECTFROM %s (preferred %s): %d mismatches, %.1f ns per 1024, %d bytes"
                    + " allocated per pass%n", s, ByteVector.SPECIES_PREFERRED, bad, best * 1024.0 / N, alloc);
        }
    }
}
