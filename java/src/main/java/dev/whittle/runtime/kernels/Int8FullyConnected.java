package dev.whittle.runtime.kernels;

import dev.whittle.internal.vectorization.Int8DotKernels;
import dev.whittle.internal.vectorization.VectorizationProvider;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference;
import dev.whittle.runtime.kernels.reference.FullyConnectedReference.QuantParams;

import java.nio.ByteBuffer;

/**
 * FULLY_CONNECTED for int8 and uint8 ({@code qs8}, {@code qs8_qc8w}, {@code qu8}) on the Java
 * path: weights packed once at prepare, the zero-point terms folded into per-output
 * constants, the dot products in {@link Int8DotKernels} (Vector API or its plain twin), and
 * the output stage of {@link FullyConnectedReference} (ruy's x86 rounding) fused after them.
 * Bit-exact with the reference kernels: all int32 arithmetic wraps, so regrouping the sum is
 * exact.
 *
 * <p>The algebra, with {@code x', w'} the signed bytes the dot product sees and
 * {@code xo, wo} their offsets (minus the zero points):
 * <pre>
 *   sum_k (w'[o,k] + wo) (x'[k] + xo)
 *     = dot(x', w'[o]) + xo * rowSum[o] + wo * sum(x') + K * xo * wo
 * </pre>
 * {@code rowSum}, the {@code K * xo * wo} term and a constant bias are summed into one int
 * per output at prepare; {@code wo * sum(x')} is one multiply per batch row. For uint8 both
 * operands are moved to signed bytes by flipping the top bit ({@code v - 128}) and 128 is
 * added to both offsets, so one signed dot product serves all three types.
 *
 * <p>Packed layout: {@code [roundUp(N, 4)][kp]} signed bytes, {@code kp = roundUp(K, block)},
 * zero padded (zero rows and columns add nothing to the dot products). Per invoke, each
 * batch row of the input is copied (and for uint8 flipped) into a per-thread row buffer of
 * {@code kp} bytes whose padding stays zero: the runtime has no per-context scratch yet, so
 * as in the hybrid reference kernel it is a {@code ThreadLocal} filled on a thread's first
 * invoke; later invokes allocate nothing.
 */
public final class Int8FullyConnected implements Kernel<QuantParams> {
    private final String name;
    private final Int8DotKernels dots;
    private final boolean unsigned;
    private final int input;
    private final int output;
    private final int runtimeBias;
    private final int batches;
    private final int k;
    private final int n;
    private final int np;
    private final int kp;
    private final int weightsOffset;
    private final int outputOffset;
    private final int actMin;
    private final int actMax;
    private final int[] multipliers;
    private final int[] shifts;
    private final byte[] packed;
    private final int[] constants;
    private final ThreadLocal<Scratch> scratch;

    private static final class Scratch {
        final byte[] row;
        final int[] acc;

        Scratch(int kp, int np) {
            row = new byte[kp];
            acc = new int[np];
        }
    }

    private Int8FullyConnected(String name, Int8DotKernels dots, boolean unsigned, QuantParams p, ByteBuffer weights,
            ByteBuffer bias) {
        this.name = name;
        this.dots = dots;
        this.unsigned = unsigned;
        this.input = p.input();
        this.output = p.output();
        this.batches = p.batches();
        this.k = p.inFeatures();
        this.n = p.outFeatures();
        this.np = roundUp(n, Int8DotKernels.ROW_TILE);
        this.kp = roundUp(Math.max(k, 1), dots.blockBytes());
        int flip = unsigned ? 128 : 0;
        int xo = p.inputOffset() + flip;
        this.weightsOffset = p.weightsOffset() + flip;
        this.outputOffset = p.outputOffset();
        this.actMin = p.actMin();
        this.actMax = p.actMax();
        this.multipliers = p.multipliers().clone();
        this.shifts = p.shifts().clone();
        this.runtimeBias = p.bias() >= 0 && bias == null ? p.bias() : -1;
        this.packed = new byte[Math.multiplyExact(np, kp)];
        this.constants = new int[n];
        int kTerm = k * xo * weightsOffset;
        for (int o = 0; o < n; o++) {
            int rowSum = 0;
            for (int i = 0; i < k; i++) {
                byte w = (byte) (weights.get(o * k + i) ^ (unsigned ? 0x80 : 0));
                packed[o * kp + i] = w;
                rowSum += w;
            }
            int c = xo * rowSum + kTerm;
            if (bias != null) {
                c += bias.getInt(o * 4);
            }
            constants[o] = c;
        }
        this.scratch = ThreadLocal.withInitial(() -> new Scratch(kp, np));
    }

    /**
     * The Java-path kernel for one node.
     *
     * @param family {@code qs8_fully_connected}, {@code qs8_qc8w_fully_connected} or
     *     {@code qu8_fully_connected}: the name prefix; {@code qu8} selects unsigned bytes
     * @param provider whose dot products to use ({@link VectorizationProvider#get()} in
     *     dispatch; tests also pass {@link VectorizationProvider#plain()})
     */
    public static Int8FullyConnected create(KernelFamily<?> family, VectorizationProvider provider, QuantParams p,
            ByteBuffer weights, ByteBuffer bias) {
        boolean unsigned = family.name().startsWith("qu8_");
        Int8DotKernels dots = provider.int8();
        String name = family.name() + "_1x" + Int8DotKernels.ROW_TILE + "c" + dots.blockBytes() + "__" + provider.isa();
        return new Int8FullyConnected(name, dots, unsigned, p, weights, bias);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void run(QuantParams p, ExecutionState s) {
        Scratch sc = scratch.get();
        byte[] row = sc.row;
        int[] acc = sc.acc;
        ByteBuffer in = s.buffer(input);
        int inBase = s.offset(input);
        for (int b = 0; b < batches; b++) {
            in.get(inBase + b * k, row, 0, k);
            int sum = 0;
            if (unsigned) {
                for (int i = 0; i < k; i++) {
                    byte v = (byte) (row[i] ^ 0x80);
                    row[i] = v;
                    sum += v;
                }
            } else {
                for (int i = 0; i < k; i++) {
                    sum += row[i];
                }
            }
            dots.dotRows(row, packed, np, kp, acc);
            int rowTerm = weightsOffset * sum;
            int outBase = b * n;
            for (int o = 0; o < n; o++) {
                int a = acc[o] + constants[o] + rowTerm;
                if (runtimeBias >= 0) {
                    a += s.getInt(runtimeBias, o);
                }
                int v = FullyConnectedReference.ruyMultiply(a, multipliers[o], shifts[o]) + outputOffset;
                v = Math.min(Math.max(v, actMin), actMax);
                s.putByte(output, outBase + o, (byte) v);
            }
        }
    }

    @Override
    public String toString() {
        return name;
    }

    private static int roundUp(int v, int m) {
        return Math.addExact(v, m - 1) / m * m;
    }
}
