package dev.whittle.internal.vectorization;

/**
 * The plain-Java twin of {@link PanamaInt8DotKernels}: used when the Vector API module is
 * absent. Four rows at a time so the input bytes are read once per tile, as in the vector
 * version; the JIT keeps the four sums in registers.
 */
final class ScalarInt8DotKernels implements Int8DotKernels {
    static final ScalarInt8DotKernels INSTANCE = new ScalarInt8DotKernels();

    private ScalarInt8DotKernels() {
    }

    @Override
    public int blockBytes() {
        return 8;
    }

    @Override
    public void dotRows(byte[] x, byte[] w, int rows, int kp, int[] out) {
        for (int o = 0; o < rows; o += ROW_TILE) {
            int r0 = o * kp;
            int r1 = r0 + kp;
            int r2 = r1 + kp;
            int r3 = r2 + kp;
            int a0 = 0;
            int a1 = 0;
            int a2 = 0;
            int a3 = 0;
            for (int k = 0; k < kp; k++) {
                int xv = x[k];
                a0 += xv * w[r0 + k];
                a1 += xv * w[r1 + k];
                a2 += xv * w[r2 + k];
                a3 += xv * w[r3 + k];
            }
            out[o] = a0;
            out[o + 1] = a1;
            out[o + 2] = a2;
            out[o + 3] = a3;
        }
    }
}
