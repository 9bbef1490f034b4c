package dev.whittle.runtime.kernels.elementwise;

import dev.whittle.model.TensorType;
import dev.whittle.runtime.ExecutionState;
import dev.whittle.runtime.Kernel;
import dev.whittle.runtime.kernels.reference.DataMovementKernels.PadParams;
import java.lang.foreign.MemorySegment;

/**
 * Java PAD/PADV2 ({@link ElementwiseFamilies#PAD}): the output filled with the pad value, then
 * every innermost row of the input copied in one bulk copy to its place, instead of the
 * reference's per-element index arithmetic. The same bytes: the pad value is read and narrowed
 * as the reference reads it (the value tensor's element 0, or the prepared integer).
 * Names {@code x8_pad__java}, {@code x16_}, {@code x32_}, {@code x64_}.
 */
public final class PadJava implements Kernel<PadParams> {
    private final String name;
    private final int size;
    private final long inBytes;
    private final long outBytes;

    private PadJava(String name, int size, long inBytes, long outBytes) {
        this.name = name;
        this.size = size;
        this.inBytes = inBytes;
        this.outBytes = outBytes;
    }

    /** The family's Java factory. */
    public static Kernel<PadParams> create(PadParams p) {
        int size = switch (p.type()) {
            case INT8, UINT8, BOOL -> 1;
            case INT16 -> 2;
            case INT32, FLOAT32 -> 4;
            case INT64 -> 8;
            default -> 0;
        };
        int[] in = p.inShape();
        int[] out = p.outShape();
        if (size == 0 || in.length != out.length || in.length == 0 || p.outCount() == 0) {
            return null;
        }
        long inCount = 1;
        for (int d : in) {
            inCount *= d;
        }
        if ((long) p.outCount() * size > Integer.MAX_VALUE || inCount == 0) {
            return null;
        }
        for (int d = 0; d < in.length; d++) {
            if (p.before()[d] < 0 || p.before()[d] + in[d] > out[d]) {
                return null;
            }
        }
        String prefix = "x" + (size * 8);
        return new PadJava(prefix + "_pad__java", size, inCount * size, (long) p.outCount() * size);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return name;
    }

    @Override
    public void run(PadParams p, ExecutionState s) {
        MemorySegment in = Mem.of(s, p.input(), inBytes);
        MemorySegment out = Mem.of(s, p.output(), outBytes);
        fill(p, s, out);
        int[] is = p.inShape();
        int[] os = p.outShape();
        int[] before = p.before();
        int rank = is.length;
        int rowLen = is[rank - 1];
        long rowBytes = (long) rowLen * size;
        long rows = inBytes / rowBytes;
        for (long r = 0; r < rows; r++) {
            // Output element index of the row's first element: walk the outer dimensions.
            long rem = r;
            long at = before[rank - 1];
            long stride = os[rank - 1];
            for (int d = rank - 2; d >= 0; d--) {
                long c = rem % is[d];
                rem /= is[d];
                at += (c + before[d]) * stride;
                stride *= os[d];
            }
            MemorySegment.copy(in, r * rowBytes, out, at * size, rowBytes);
        }
    }

    /** Writes the pad value into every output element. */
    private void fill(PadParams p, ExecutionState s, MemorySegment out) {
        boolean isFloat = p.type() == TensorType.FLOAT32;
        long bits;
        if (p.valueTensor() >= 0) {
            MemorySegment v = Mem.of(s, p.valueTensor(), size);
            bits = switch (size) {
                case 1 -> v.get(Mem.I8, 0);
                case 2 -> v.get(Mem.I16, 0);
                case 4 -> v.get(Mem.I32, 0);
                default -> v.get(Mem.I64, 0);
            };
        } else {
            // The reference writes float 0 for float32 and the prepared integer, narrowed, otherwise.
            bits = isFloat ? Float.floatToRawIntBits(0f) : p.intValue();
        }
        long n = outBytes / size;
        switch (size) {
            case 1 -> out.fill((byte) bits);
            case 2 -> {
                short v = (short) bits;
                for (long i = 0; i < n; i++) {
                    out.set(Mem.I16, i << 1, v);
                }
            }
            case 4 -> {
                int v = (int) bits;
                for (long i = 0; i < n; i++) {
                    out.set(Mem.I32, i << 2, v);
                }
            }
            default -> {
                for (long i = 0; i < n; i++) {
                    out.set(Mem.I64, i << 3, bits);
                }
            }
        }
    }
}
