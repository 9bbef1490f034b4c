package dev.whittle.bench;

import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The multiply-accumulates a kernel benchmark did, as a JMH aux counter: a benchmark adds its
 * GMAC per invoke to {@link #gmac}, and JMH prints the rate as {@code gmac} in "ops/s", read
 * as GMAC/s. Shared by the kernel benchmarks that count MACs.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.OPERATIONS)
public class Macs {
    public double gmac;

    @Setup(Level.Iteration)
    public void reset() {
        gmac = 0;
    }
}
