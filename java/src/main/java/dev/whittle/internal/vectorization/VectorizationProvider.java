package dev.whittle.internal.vectorization;

import java.util.Locale;

/**
 * The one door to the Java Vector API (Lucene's {@code VectorizationProvider} pattern): this
 * package is the only one that imports {@code jdk.incubator.vector}, and only its
 * {@code Panama*} classes do. Everything else sees the interfaces ({@link Int8GemmKernels}),
 * implemented either on the Vector API or by plain-Java twins with the same results.
 *
 * <p>The Panama classes are loaded reflectively, and only when the module is in the boot
 * layer, so a JVM started without {@code --add-modules jdk.incubator.vector} never touches
 * them; it logs one line naming the fix and runs the plain-Java twins.
 */
public abstract sealed class VectorizationProvider permits VectorizationProvider.Plain, VectorizationProvider.Panama {
    private static final System.Logger LOG = System.getLogger(VectorizationProvider.class.getName());
    private static final String MODULE = "jdk.incubator.vector";

    private static final class Holder {
        static final VectorizationProvider INSTANCE = lookup();
    }

    VectorizationProvider() {
    }

    /** The provider for this JVM, chosen on first use. */
    public static VectorizationProvider get() {
        return Holder.INSTANCE;
    }

    /** The plain-Java provider, whatever the JVM has: for tests of the twins. */
    public static VectorizationProvider plain() {
        return Plain.INSTANCE;
    }

    /** Whether this provider runs on the Vector API. */
    public abstract boolean vectorized();

    /**
     * The ISA suffix of kernel names for this provider: {@code panama256},
     * {@code panama512}, ... or {@code scalar} for the plain-Java twins.
     */
    public abstract String isa();

    /** The int8 GEMM micro-kernel of the Java path's convolutions and fully connected layers. */
    public abstract Int8GemmKernels int8Gemm();

    /** The 16x8 kernels (int16 activations, int8 weights) of the Java path's CONV_2D, FC, depthwise. */
    public abstract Int16Kernels int16();

    @Override
    public String toString() {
        return isa();
    }

    private static VectorizationProvider lookup() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            LOG.log(System.Logger.Level.WARNING, "Java Vector API not available: Whittle's java kernels run"
                    + " their plain-Java twins (slower). Fix: start the JVM with --add-modules " + MODULE);
            return Plain.INSTANCE;
        }
        try {
            // Loaded by name so that no class of this package links against the incubator
            // module unless it is there.
            Class<?> c = Class.forName(VectorizationProvider.class.getPackageName() + ".PanamaInt8GemmKernels");
            java.lang.reflect.Method supported = c.getDeclaredMethod("supported");
            supported.setAccessible(true);
            java.lang.reflect.Method bits = c.getDeclaredMethod("bits");
            bits.setAccessible(true);
            int width = (Integer) bits.invoke(null);
            if (!(Boolean) supported.invoke(null)) {
                LOG.log(System.Logger.Level.INFO, "Java Vector API with " + width + "-bit vectors: Whittle's java"
                        + " kernels need 256 bits and run their plain-Java twins");
                return Plain.INSTANCE;
            }
            java.lang.reflect.Field f = c.getDeclaredField("INSTANCE");
            f.setAccessible(true);
            // The 16x8 kernels, loaded by name for the same reason.
            java.lang.reflect.Field f16 = Class.forName(VectorizationProvider.class.getPackageName()
                    + ".PanamaInt16Kernels").getDeclaredField("INSTANCE");
            f16.setAccessible(true);
            return new Panama((Int8GemmKernels) f.get(null), (Int16Kernels) f16.get(null), width);
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.log(System.Logger.Level.WARNING, "Java Vector API present but unusable (" + e
                    + "): Whittle's java kernels run their plain-Java twins");
            return Plain.INSTANCE;
        }
    }

    /** The plain-Java twins. */
    static final class Plain extends VectorizationProvider {
        static final Plain INSTANCE = new Plain();

        @Override
        public boolean vectorized() {
            return false;
        }

        @Override
        public String isa() {
            return "scalar";
        }

        @Override
        public Int8GemmKernels int8Gemm() {
            return ScalarInt8GemmKernels.INSTANCE;
        }

        @Override
        public Int16Kernels int16() {
            return ScalarInt16Kernels.INSTANCE;
        }
    }

    /** The Vector API kernels. */
    static final class Panama extends VectorizationProvider {
        private final Int8GemmKernels gemm;
        private final Int16Kernels int16;
        private final String isa;

        Panama(Int8GemmKernels gemm, Int16Kernels int16, int bits) {
            this.gemm = gemm;
            this.int16 = int16;
            this.isa = String.format(Locale.ROOT, "panama%d", bits);
        }

        @Override
        public boolean vectorized() {
            return true;
        }

        @Override
        public String isa() {
            return isa;
        }

        @Override
        public Int8GemmKernels int8Gemm() {
            return gemm;
        }

        @Override
        public Int16Kernels int16() {
            return int16;
        }
    }
}
